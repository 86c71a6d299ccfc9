import FoundationEssentials
import Glibc
import RoutineModel

/// Mono float signals (−1…1) at a sample rate: tones, noises, keep-alive bursts, silence.
enum Synthesis {
    /// Linear amplitude of a dBFS level (peak).
    static func amplitude(_ dBFS: Double) -> Double { pow(10, dBFS / 20) }

    static func frames(_ duration: Duration, rate: Int) -> Int {
        Int((DurationText.seconds(duration) * Double(rate)).rounded())
    }

    /// A tone or noise with raised-cosine fades, peak at `level` dBFS.
    static func tone(_ spec: ToneSpec, rate: Int) -> [Float] {
        let count = frames(spec.duration, rate: rate)
        var signal = waveform(spec.waveform, frequency: spec.frequency, count: count, rate: rate)
        normalize(&signal, peak: amplitude(spec.level))
        fade(&signal, frames: frames(spec.fade, rate: rate))
        return signal
    }

    /// A keep-alive burst. `fluctuate` is exactly ±1 LSB and `zero` is digital silence, so they are
    /// returned as integer samples by `keepAliveSamples`; the others as floats.
    static func keepAlive(_ spec: KeepAliveSpec, rate: Int) -> [Float] {
        let count = frames(spec.duration, rate: rate)
        let shape: Waveform
        switch spec.signal {
        case .sine: shape = .sine
        case .pink: shape = .pink
        case .brown: shape = .brown
        case .fluctuate: return (0..<count).map { $0 % 2 == 0 ? 1.0 / 32767 : -1.0 / 32767 }
        case .zero: return [Float](repeating: 0, count: count)
        }
        var signal = waveform(shape, frequency: spec.frequency, count: count, rate: rate)
        normalize(&signal, peak: amplitude(spec.level))
        fade(&signal, frames: frames(spec.fade, rate: rate))
        return signal
    }

    static func waveform(_ shape: Waveform, frequency: Double, count: Int, rate: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let step = frequency / Double(rate)
        var random = SplitMix(seed: 0x5EED_0F_A0D10)
        switch shape {
        case .sine:
            // A rotating phasor (two multiply-adds per sample) instead of a libm `sin` per sample:
            // the whole tone is rendered before its first frame is written, and `sin` was most of
            // that. It starts again from `sin`/`cos` of the exact phase every 1,024 samples, so
            // rounding cannot drift: it stays within 1e-10 of `sin` (checked: no 16-bit sample of
            // 30 s at 20 Hz to 8 kHz differs).
            let omega = 2 * Double.pi * step
            let (turnCos, turnSin) = (cos(omega), sin(omega))
            out.withUnsafeMutableBufferPointer { out in
                var i = 0
                while i < count {
                    let phase = omega * Double(i)
                    var (c, s) = (cos(phase), sin(phase))
                    let end = min(count, i + 1024)
                    while i < end {
                        out[i] = Float(s)
                        (c, s) = (c * turnCos - s * turnSin, s * turnCos + c * turnSin)
                        i += 1
                    }
                }
            }
        case .square:
            for i in 0..<count { out[i] = (step * Double(i)).truncatingRemainder(dividingBy: 1) < 0.5 ? 1 : -1 }
        case .triangle:
            for i in 0..<count {
                let phase = (step * Double(i)).truncatingRemainder(dividingBy: 1)
                out[i] = Float(phase < 0.5 ? 4 * phase - 1 : 3 - 4 * phase)
            }
        case .white:
            for i in 0..<count { out[i] = random.nextSigned() }
        case .pink:
            // Paul Kellet's refined pink filter over white noise.
            var b = [Float](repeating: 0, count: 7)
            for i in 0..<count {
                let white = random.nextSigned()
                b[0] = 0.99886 * b[0] + white * 0.0555179
                b[1] = 0.99332 * b[1] + white * 0.0750759
                b[2] = 0.96900 * b[2] + white * 0.1538520
                b[3] = 0.86650 * b[3] + white * 0.3104856
                b[4] = 0.55000 * b[4] + white * 0.5329522
                b[5] = -0.7616 * b[5] - white * 0.0168980
                out[i] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362
                b[6] = white * 0.115926
            }
        case .brown:
            var last: Float = 0
            for i in 0..<count {
                last = (last + 0.02 * random.nextSigned()) / 1.02
                out[i] = last
            }
            // Remove the offset a random walk accumulates.
            let mean = out.reduce(0, +) / Float(max(1, count))
            for i in 0..<count { out[i] -= mean }
        }
        return out
    }

    /// Scales so the largest magnitude equals `peak`.
    static func normalize(_ signal: inout [Float], peak: Double) {
        let current = signal.reduce(Float(0)) { max($0, abs($1)) }
        guard current > 0 else { return }
        let scale = Float(peak) / current
        for i in signal.indices { signal[i] *= scale }
    }

    /// Raised-cosine fade in and out over `frames` each.
    static func fade(_ signal: inout [Float], frames: Int) {
        let n = min(frames, signal.count / 2)
        guard n > 0 else { return }
        for i in 0..<n {
            let gain = Float(0.5 - 0.5 * cos(Double.pi * Double(i) / Double(n)))
            signal[i] *= gain
            signal[signal.count - 1 - i] *= gain
        }
    }
}

/// A small deterministic generator for noise (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [−1, 1).
    mutating func nextSigned() -> Float { Float(Double(next() >> 11) / Double(1 << 52) - 1) }
}
