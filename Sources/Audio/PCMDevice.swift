import CALSA
import CoreMetrics
import SystemIO

/// One open ALSA playback PCM, S16_LE interleaved. Not thread-safe: owned by one `OutputPlayer`
/// thread, which is the only place it is touched (the C handle never leaves this class).
final class PCMDevice {
    private var handle: OpaquePointer?
    private var config: OpaquePointer?
    let output: String
    let pcm: String
    let rate: Int
    let channels: Int
    private let underruns: Counter

    /// Opens `pcm` (through `configFile`'s definitions when given, else the ALSA configuration) and
    /// sets 48 kHz stereo (or the requested format), letting ALSA convert when the device needs it.
    init(output: String, pcm: String, rate: Int, channels: Int, configFile: String?) throws(AudioError) {
        self.output = output
        self.pcm = pcm
        self.rate = rate
        self.channels = channels
        underruns = Counter(label: "routines_alsa_underruns_total", dimensions: [("output", output)])
        routines_alsa_quiet()
        var pointer: OpaquePointer?
        var err: Int32
        if let configFile {
            var top: OpaquePointer?
            err = routines_alsa_load_config(configFile, &top)
            guard err >= 0 else {
                throw AudioError(output: output, pcm: pcm, function: "snd_config_load(\(configFile))", code: err)
            }
            config = top
            err = snd_pcm_open_lconf(&pointer, pcm, SND_PCM_STREAM_PLAYBACK, 0, top)
        } else {
            err = snd_pcm_open(&pointer, pcm, SND_PCM_STREAM_PLAYBACK, 0)
        }
        guard err >= 0, let pointer else {
            close()
            throw AudioError(output: output, pcm: pcm, function: "snd_pcm_open", code: err)
        }
        handle = pointer
        err = snd_pcm_set_params(
            pointer, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, UInt32(channels), UInt32(rate), 1, 100_000)
        guard err >= 0 else {
            close()
            throw AudioError(output: output, pcm: pcm, function: "snd_pcm_set_params", code: err)
        }
    }

    /// Writes interleaved frames, blocking at the device's pace; recovers from underruns.
    func write(_ samples: UnsafeBufferPointer<Int16>) throws(AudioError) {
        guard let handle, let base = samples.baseAddress else { return }
        var offset = 0
        let frames = samples.count / channels
        while offset < frames {
            let written = snd_pcm_writei(handle, base + offset * channels, snd_pcm_uframes_t(frames - offset))
            if written < 0 {
                let code = Int32(written)
                // ALSA's own codes (negative errno): a signal interrupted the wait for room.
                if code == -Errno.interrupted.rawValue { continue }
                if code == -Errno.brokenPipe.rawValue { underruns.increment() }
                let recovered = snd_pcm_recover(handle, code, 1)
                if recovered < 0 {
                    throw AudioError(output: output, pcm: pcm, function: "snd_pcm_writei", code: code)
                }
                continue
            }
            offset += Int(written)
        }
    }

    /// Discards the frames still queued in the device (a stopped job must fall silent now, not
    /// after the device's buffer has played out).
    func drop() {
        if let handle { snd_pcm_drop(handle) }
    }

    /// Lets queued frames play out.
    func drain() {
        if let handle { snd_pcm_drain(handle) }
    }

    func close() {
        if let handle { snd_pcm_close(handle) }
        handle = nil
        if let config { snd_config_delete(config) }
        config = nil
    }

    deinit { close() }
}

/// The PCM names ALSA knows, as `aplay -L` lists them.
public func knownPCMs() -> [String] {
    var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
    defer { snd_device_name_free_hint(hints) }
    var names: [String] = []
    var index = 0
    while let hint = hints[index] {
        if let name = snd_device_name_get_hint(hint, "NAME") {
            names.append(String(cString: name))
            free(name)
        }
        index += 1
    }
    return names
}
