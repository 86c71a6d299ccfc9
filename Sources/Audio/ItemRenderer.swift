import Engine
import RoutineModel

/// Turns audio items into interleaved 16-bit samples at one output's rate and channel count. Shared
/// by the ALSA player and the sink player (AudioServer). Confined to the player's thread.
public final class ItemRenderer {
    let output: String
    /// The PCM or sink name, for error messages.
    let target: String
    public let rate: Int
    public let channels: Int
    /// The last keep-alive burst rendered (bursts repeat identically; render once).
    private var burstCache: (spec: KeepAliveSpec, samples: [Int16])?

    public init(output: String, target: String, rate: Int, channels: Int) {
        self.output = output
        self.target = target
        self.rate = rate
        self.channels = channels
    }

    /// A file's audio a block at a time (files are streamed, never decoded whole).
    public func stream(_ source: OpenedSoundFile, gain: Double) throws(AudioError) -> SoundFileStream {
        try SoundFileStream(source: source, output: output, pcm: target, rate: rate, channels: channels, gain: gain)
    }

    /// Renders one item whole.
    public func render(_ item: AudioItem) throws(AudioError) -> [Int16] {
        switch item {
        case .tone(let spec):
            return try Converter.convert(
                DecodedAudio(samples: Synthesis.tone(spec, rate: rate), rate: rate, channels: 1), rate: rate,
                channels: channels)
        case .keepAlive(let spec):
            if let cached = burstCache, cached.spec == spec { return cached.samples }
            let samples = try Converter.convert(
                DecodedAudio(samples: Synthesis.keepAlive(spec, rate: rate), rate: rate, channels: 1), rate: rate,
                channels: channels)
            burstCache = (spec, samples)
            return samples
        case .silence(let duration):
            return [Int16](repeating: 0, count: Synthesis.frames(duration, rate: rate) * channels)
        case .file(let source, let gain):
            let stream = try stream(source, gain: gain)
            var all: [Int16] = []
            while case let block = try stream.next(maxFrames: rate / 20), !block.isEmpty { all += block }
            return all
        case .speech(let speech):
            // Whole, for callers that render items ahead (the ALSA player streams it instead).
            do {
                guard let whole = try speech.collect() else { return [] }
                return try render(.samples(whole))
            } catch let error as AudioError {
                throw error
            } catch {
                throw AudioError(output: output, pcm: target, function: "speech", message: "\(error)")
            }
        case .samples(let pcmSamples):
            let floats = pcmSamples.samples.map { Float($0) / 32767 }
            return try Converter.convert(
                DecodedAudio(samples: floats, rate: pcmSamples.sampleRate, channels: max(1, pcmSamples.channels)),
                rate: rate, channels: channels)
        }
    }
}
