import CSampleRate
import CSndFile
import Engine
import FoundationEssentials
import Glibc
import SystemIO

/// Decoded audio: interleaved floats with their rate and channel count.
struct DecodedAudio {
    var samples: [Float]
    var rate: Int
    var channels: Int
}

/// Reads sound files with libsndfile (WAV, FLAC, OGG/Vorbis, MP3, …).
enum SoundFile {
    /// libsndfile, opened when the first file plays.
    static let library: Result<routines_sndfile_api, LoadFailure> = {
        var api = routines_sndfile_api()
        if let failure = routines_sndfile_load(&api) {
            return .failure(
                LoadFailure(
                    message:
                        "cannot load libsndfile.so.1 (\(String(cString: failure))); install it: sudo apt-get install libsndfile1"
                ))
        }
        return .success(api)
    }()

    struct LoadFailure: Error {
        var message: String
    }

    /// Files larger than this are refused.
    static let maximumBytes = 50 * 1024 * 1024
}

/// Converts rate (libsamplerate band-limited sinc, its fastest setting: 97 dB SNR, 80 % bandwidth) and
/// channel count to the output's.
enum Converter {
    static func convert(_ audio: DecodedAudio, rate: Int, channels: Int, gain: Double = 0) throws(AudioError) -> [Int16]
    {
        var source = audio
        if source.rate != rate && !source.samples.isEmpty {
            let ratio = Double(rate) / Double(source.rate)
            let inputFrames = source.samples.count / source.channels
            var out = [Float](
                repeating: 0, count: Int(Double(inputFrames) * ratio) + 16 * source.channels + source.channels)
            let outputFrames = out.count / source.channels
            var data = SRC_DATA()
            let error: Int32 = source.samples.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    data.data_in = input.baseAddress
                    data.data_out = output.baseAddress
                    data.input_frames = inputFrames
                    data.output_frames = outputFrames
                    data.src_ratio = ratio
                    data.end_of_input = 1
                    return src_simple(&data, Int32(SRC_SINC_FASTEST), Int32(source.channels))
                }
            }
            guard error == 0 else {
                throw AudioError(
                    output: "", pcm: "", function: "src_simple", message: String(cString: src_strerror(error)))
            }
            out.removeLast(out.count - Int(data.output_frames_gen) * source.channels)
            source = DecodedAudio(samples: out, rate: rate, channels: source.channels)
        }
        let frames = source.samples.count / max(1, source.channels)
        return toInt16(
            source.samples, frames: frames, from: source.channels, to: channels,
            scale: Float(pow(10, gain / 20)) * 32767)
    }

    /// Interleaved floats (`from` channels) → interleaved 16-bit (`to` channels), scaled and clipped:
    /// mono is copied to every channel, more channels are mixed down to mono, otherwise channels map
    /// one to one (missing ones repeat the last).
    static func toInt16(_ samples: [Float], frames: Int, from sourceChannels: Int, to channels: Int, scale: Float)
        -> [Int16]
    {
        var result = [Int16](repeating: 0, count: frames * channels)
        // Rounds half away from zero, as `rounded()` does, without a libm call per sample.
        @inline(__always) func clip(_ value: Float) -> Int16 {
            let scaled = value * scale
            return Int16(max(-32768, min(32767, scaled >= 0 ? scaled + 0.5 : scaled - 0.5)))
        }
        samples.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for frame in 0..<frames {
                    if sourceChannels == 1 {
                        let value = clip(source[frame])
                        for channel in 0..<channels { target[frame * channels + channel] = value }
                    } else if channels == 1 {
                        var sum: Float = 0
                        for channel in 0..<sourceChannels { sum += source[frame * sourceChannels + channel] }
                        target[frame] = clip(sum / Float(sourceChannels))
                    } else {
                        for channel in 0..<channels {
                            target[frame * channels + channel] = clip(
                                source[frame * sourceChannels + min(channel, sourceChannels - 1)])
                        }
                    }
                }
            }
        }
        return result
    }
}

/// A sound file decoded, resampled (libsamplerate, the same sinc converter as `Converter`) and
/// converted to the output's channel count a block at a time, so playing a file costs a few small
/// buffers instead of the whole file decoded in memory (a 50 MB file would be hundreds of MB of
/// floats), and its first block is written as soon as it is converted.
public final class SoundFileStream {
    private let sndfile: routines_sndfile_api
    private let source: OpenedSoundFile
    private let file: OpaquePointer
    private var resampler: OpaquePointer?
    private let sourceChannels: Int
    private let ratio: Double
    private let channels: Int
    private let scale: Float
    private var input: [Float]
    private var inputStart = 0
    private var inputEnd = 0
    private var endOfFile = false
    private var finished = false
    private var converted: [Float]
    private let failure: (String, String) -> AudioError

    /// Decodes from `source`'s descriptor (the one the audio folders checked), never by name again.
    init(source: OpenedSoundFile, output: String, pcm: String, rate: Int, channels: Int, gain: Double)
        throws(AudioError)
    {
        let path = source.path
        failure = { function, message in
            AudioError(output: output, pcm: pcm, function: "\(function)(\(path))", message: message)
        }
        let status: FileStatus
        do {
            status = try FileDescriptor(rawValue: source.descriptor).status()
        } catch {
            throw failure("fstat", "\(error.errno)")
        }
        guard status.kind == .regular else { throw failure("fstat", "not a regular file") }
        if Int(status.size) > SoundFile.maximumBytes {
            throw failure(
                "sf_open_fd", "the file is \(Int(status.size) / 1_048_576) MB; sound files may be at most 50 MB")
        }
        switch SoundFile.library {
        case .success(let api): sndfile = api
        case .failure(let reason): throw failure("sf_open_fd", reason.message)
        }
        // From the start, whoever read the descriptor before.
        _ = try? FileDescriptor(rawValue: source.descriptor).seek(offset: 0, from: .start)
        // libsndfile gets a duplicate of its own (close_desc 1: it closes it at sf_close, and when it
        // cannot decode the file), never `source`'s descriptor: libsndfile 1.2.0's sf_open_fd closes
        // the descriptor it was given when it fails, even with close_desc 0 (libsndfile issue 949),
        // and `source`'s deinit then closed that number a second time, by then another part's file
        // (a timerfd, an eventfd, SQLite's database, an epoll).
        let duplicate: FileDescriptor
        do {
            duplicate = try FileDescriptor(rawValue: source.descriptor).duplicated()
        } catch {
            throw failure("fcntl(F_DUPFD_CLOEXEC)", "\(error.errno)")
        }
        var info = SF_INFO()
        guard let file = sndfile.sf_open_fd!(duplicate.rawValue, Int32(SFM_READ), &info, 1) else {
            throw failure(
                "sf_open_fd",
                "cannot decode the file: \(sndfile.sf_strerror!(nil).map { String(cString: $0) } ?? "unknown error")")
        }
        self.source = source
        self.file = file
        guard info.channels > 0, info.samplerate > 0, info.frames >= 0 else {
            _ = sndfile.sf_close!(file)
            throw failure("sf_open", "the file has no audio")
        }
        sourceChannels = Int(info.channels)
        ratio = Double(rate) / Double(info.samplerate)
        self.channels = channels
        scale = Float(pow(10, gain / 20)) * 32767
        input = [Float](repeating: 0, count: 4096 * sourceChannels)
        converted = []
        if Int(info.samplerate) != rate {
            var error: Int32 = 0
            resampler = src_new(Int32(SRC_SINC_FASTEST), Int32(sourceChannels), &error)
            if resampler == nil {
                // Every property is set by now, so deinit runs and closes the file (closing it here
                // too would free libsndfile's handle twice).
                throw failure("src_new", String(cString: src_strerror(error)))
            }
        }
    }

    deinit {
        _ = sndfile.sf_close!(file)
        if let resampler { src_delete(resampler) }
    }

    /// The next block of interleaved 16-bit frames at the output's rate and channel count (at most
    /// `maxFrames`); empty once the file is done.
    public func next(maxFrames: Int) throws(AudioError) -> [Int16] {
        var frames = [Float](repeating: 0, count: maxFrames * sourceChannels)
        var produced = 0
        while produced < maxFrames && !finished {
            if inputStart == inputEnd && !endOfFile {
                let count = input.withUnsafeMutableBufferPointer {
                    sndfile.sf_readf_float!(file, $0.baseAddress, sf_count_t($0.count / sourceChannels))
                }
                inputStart = 0
                inputEnd = Int(count)
                if count <= 0 { endOfFile = true }
            }
            guard let resampler else {
                // Same rate: copy through.
                let take = min(maxFrames - produced, inputEnd - inputStart)
                if take == 0 {
                    finished = endOfFile
                    continue
                }
                frames.replaceSubrange(
                    produced * sourceChannels..<(produced + take) * sourceChannels,
                    with: input[inputStart * sourceChannels..<(inputStart + take) * sourceChannels])
                produced += take
                inputStart += take
                continue
            }
            var data = SRC_DATA()
            let status: Int32 = input.withUnsafeBufferPointer { source in
                frames.withUnsafeMutableBufferPointer { target in
                    data.data_in = source.baseAddress! + inputStart * sourceChannels
                    data.input_frames = inputEnd - inputStart
                    data.data_out = target.baseAddress! + produced * sourceChannels
                    data.output_frames = maxFrames - produced
                    data.src_ratio = ratio
                    data.end_of_input = endOfFile ? 1 : 0
                    return src_process(resampler, &data)
                }
            }
            guard status == 0 else { throw failure("src_process", String(cString: src_strerror(status))) }
            inputStart += Int(data.input_frames_used)
            produced += Int(data.output_frames_gen)
            if endOfFile && data.output_frames_gen == 0 && data.input_frames_used == 0 { finished = true }
        }
        return Converter.toInt16(frames, frames: produced, from: sourceChannels, to: channels, scale: scale)
    }
}
