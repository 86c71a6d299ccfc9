import CSampleRate
import CSndFile
import Foundation

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
                LoadFailure(message: "cannot load libsndfile.so.1 (\(String(cString: failure))); install it: sudo apt-get install libsndfile1"))
        }
        return .success(api)
    }()

    struct LoadFailure: Error {
        var message: String
    }

    /// Files larger than this are refused.
    static let maximumBytes = 50 * 1024 * 1024

    static func read(_ path: String, output: String, pcm: String) throws(AudioError) -> DecodedAudio {
        func failure(_ message: String) -> AudioError {
            AudioError(output: output, pcm: pcm, function: "sf_open(\(path))", message: message)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maximumBytes {
            throw failure("the file is \(size / 1_048_576) MB; sound files may be at most 50 MB")
        }
        let sndfile: routines_sndfile_api
        switch library {
        case .success(let api): sndfile = api
        case .failure(let reason): throw failure(reason.message)
        }
        var info = SF_INFO()
        guard let file = sndfile.sf_open!(path, Int32(SFM_READ), &info) else {
            throw failure("cannot decode the file: \(sndfile.sf_strerror!(nil).map { String(cString: $0) } ?? "unknown error")")
        }
        defer { _ = sndfile.sf_close!(file) }
        guard info.channels > 0, info.samplerate > 0, info.frames >= 0 else {
            throw failure("the file has no audio")
        }
        var samples = [Float](repeating: 0, count: Int(info.frames) * Int(info.channels))
        let read = samples.withUnsafeMutableBufferPointer { sndfile.sf_readf_float!(file, $0.baseAddress, info.frames) }
        if read < info.frames { samples.removeLast((Int(info.frames) - Int(read)) * Int(info.channels)) }
        return DecodedAudio(samples: samples, rate: Int(info.samplerate), channels: Int(info.channels))
    }
}

/// Converts rate (libsamplerate band-limited sinc, its fastest setting: 97 dB SNR, 80 % bandwidth) and
/// channel count to the output's.
enum Converter {
    static func convert(_ audio: DecodedAudio, rate: Int, channels: Int, gain: Double = 0) throws(AudioError) -> [Int16] {
        var source = audio
        if source.rate != rate && !source.samples.isEmpty {
            let ratio = Double(rate) / Double(source.rate)
            let inputFrames = source.samples.count / source.channels
            var out = [Float](repeating: 0, count: Int(Double(inputFrames) * ratio) + 16 * source.channels + source.channels)
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
                throw AudioError(output: "", pcm: "", function: "src_simple", message: String(cString: src_strerror(error)))
            }
            out.removeLast(out.count - Int(data.output_frames_gen) * source.channels)
            source = DecodedAudio(samples: out, rate: rate, channels: source.channels)
        }
        let frames = source.samples.count / max(1, source.channels)
        let scale = Float(pow(10, gain / 20)) * 32767
        var result = [Int16](repeating: 0, count: frames * channels)
        for frame in 0..<frames {
            for channel in 0..<channels {
                let value: Float
                if source.channels == 1 {
                    value = source.samples[frame]
                } else if channels == 1 {
                    value = (0..<source.channels).reduce(Float(0)) { $0 + source.samples[frame * source.channels + $1] }
                        / Float(source.channels)
                } else {
                    value = source.samples[frame * source.channels + min(channel, source.channels - 1)]
                }
                result[frame * channels + channel] = Int16(max(-32768, min(32767, (value * scale).rounded())))
            }
        }
        return result
    }
}
