import CSampleRate
import Engine

/// Converts 16-bit audio that arrives in chunks (speech while it is synthesized) to the output's
/// rate and channel count: one libsamplerate converter (the same sinc setting as `Converter`) keeps
/// its state across chunks, so the joins add no seam and the result matches converting the whole
/// utterance at once. Used by the ALSA player and by the sink player (AudioServer).
public final class StreamConverter {
    public let sourceRate: Int
    public let sourceChannels: Int
    private let rate: Int
    private let channels: Int
    private let ratio: Double
    private let failure: (String, String) -> AudioError
    private var resampler: OpaquePointer?

    public init(sourceRate: Int, sourceChannels: Int, rate: Int, channels: Int, output: String, pcm: String)
        throws(AudioError)
    {
        self.sourceRate = sourceRate
        self.sourceChannels = max(1, sourceChannels)
        self.rate = rate
        self.channels = channels
        ratio = Double(rate) / Double(sourceRate)
        failure = { function, message in AudioError(output: output, pcm: pcm, function: function, message: message) }
        if sourceRate != rate {
            var error: Int32 = 0
            resampler = src_new(Int32(SRC_SINC_FASTEST), Int32(self.sourceChannels), &error)
            if resampler == nil { throw failure("src_new", String(cString: src_strerror(error))) }
        }
    }

    deinit {
        if let resampler { src_delete(resampler) }
    }

    /// Whether `chunk` has the format this converter was made for.
    public func accepts(_ chunk: PCMSamples) -> Bool {
        chunk.sampleRate == sourceRate && max(1, chunk.channels) == sourceChannels
    }

    /// Converts one chunk; the converter may hold back a few frames until the next one (or `finish`).
    public func convert(_ samples: [Int16]) throws(AudioError) -> [Int16] {
        try process(samples.map { Float($0) / 32767 }, end: false)
    }

    /// The frames still held back, at the end of the stream.
    public func finish() throws(AudioError) -> [Int16] {
        try process([], end: true)
    }

    private func process(_ input: [Float], end: Bool) throws(AudioError) -> [Int16] {
        guard let resampler else {
            return Converter.toInt16(
                input, frames: input.count / sourceChannels, from: sourceChannels, to: channels, scale: 32767)
        }
        let inputFrames = input.count / sourceChannels
        var produced: [Float] = []
        var used = 0
        var block = [Float](repeating: 0, count: (Int(Double(inputFrames) * ratio) + 256) * sourceChannels)
        while true {
            var data = SRC_DATA()
            let status: Int32 = input.withUnsafeBufferPointer { source in
                block.withUnsafeMutableBufferPointer { target in
                    data.data_in = source.baseAddress.map { $0 + used * sourceChannels }
                    data.input_frames = inputFrames - used
                    data.data_out = target.baseAddress
                    data.output_frames = target.count / sourceChannels
                    data.src_ratio = ratio
                    data.end_of_input = end ? 1 : 0
                    return src_process(resampler, &data)
                }
            }
            guard status == 0 else { throw failure("src_process", String(cString: src_strerror(status))) }
            used += Int(data.input_frames_used)
            produced += block[0..<Int(data.output_frames_gen) * sourceChannels]
            // Done when the input is used up and, at the end, nothing more comes out.
            if used >= inputFrames && (!end || data.output_frames_gen == 0) { break }
            if data.input_frames_used == 0 && data.output_frames_gen == 0 { break }
        }
        return Converter.toInt16(
            produced, frames: produced.count / sourceChannels, from: sourceChannels, to: channels, scale: 32767)
    }
}
