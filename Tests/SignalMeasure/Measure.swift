import Foundation

/// Signal measurements.
public enum Measure {
    /// Relative power at `frequency` (Goertzel), normalised by the signal's energy.
    public static func goertzel(_ x: [Double], frequency: Double, rate: Double = 48_000) -> Double {
        let w = 2 * Double.pi * frequency / rate
        let c = 2 * cos(w)
        var s1 = 0.0
        var s2 = 0.0
        for v in x {
            let s = v + c * s1 - s2
            s2 = s1
            s1 = s
        }
        let power = s1 * s1 + s2 * s2 - c * s1 * s2
        let energy = x.reduce(0) { $0 + $1 * $1 }
        return energy > 0 ? power / (energy * Double(x.count) / 2) : 0
    }

    public static func peakDBFS(_ x: [Double]) -> Double {
        20 * log10((x.map(abs).max() ?? 0) / 32767)
    }

    public static func maxStep(_ x: ArraySlice<Double>) -> Double {
        zip(x, x.dropFirst()).map { abs($1 - $0) }.max() ?? 0
    }
}
