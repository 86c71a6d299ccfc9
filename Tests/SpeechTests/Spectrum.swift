import Foundation

/// Power spectrum of a signal, summed over Hann-windowed frames (a plain radix-2 FFT).
struct Spectrum {
    /// Power per bin, bins `0...frameSize/2`.
    private(set) var power: [Double]
    let binWidth: Double

    init(_ samples: [Int16], sampleRate: Int, frameSize: Int = 1024) {
        precondition(frameSize.nonzeroBitCount == 1, "frame size must be a power of two")
        power = [Double](repeating: 0, count: frameSize / 2 + 1)
        binWidth = Double(sampleRate) / Double(frameSize)
        let window = (0..<frameSize).map { 0.5 - 0.5 * cos(2 * .pi * Double($0) / Double(frameSize)) }
        var start = 0
        while start + frameSize <= samples.count {
            var real = (0..<frameSize).map { Double(samples[start + $0]) * window[$0] }
            var imaginary = [Double](repeating: 0, count: frameSize)
            Self.fft(&real, &imaginary)
            for bin in 0...frameSize / 2 {
                power[bin] += real[bin] * real[bin] + imaginary[bin] * imaginary[bin]
            }
            start += frameSize / 2
        }
    }

    /// Share of the total power between `low` and `high` Hz.
    func fraction(from low: Double, to high: Double) -> Double {
        let total = power.reduce(0, +)
        guard total > 0 else { return 0 }
        var band = 0.0
        for (bin, value) in power.enumerated() where Double(bin) * binWidth >= low && Double(bin) * binWidth <= high {
            band += value
        }
        return band / total
    }

    /// In-place iterative Cooley–Tukey FFT.
    private static func fft(_ real: inout [Double], _ imaginary: inout [Double]) {
        let n = real.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                real.swapAt(i, j)
                imaginary.swapAt(i, j)
            }
        }
        var length = 2
        while length <= n {
            let angle = -2 * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<length / 2 {
                    let wr = cos(angle * Double(k))
                    let wi = sin(angle * Double(k))
                    let a = start + k
                    let b = a + length / 2
                    let tr = real[b] * wr - imaginary[b] * wi
                    let ti = real[b] * wi + imaginary[b] * wr
                    real[b] = real[a] - tr
                    imaginary[b] = imaginary[a] - ti
                    real[a] += tr
                    imaginary[a] += ti
                }
            }
            length <<= 1
        }
    }
}
