import Engine
import Foundation
import Speech

/// Measures in-process synthesis against the `espeak-ng` program, or renders one utterance.
///
/// ```
/// SpeechBench [--runs N] [--voice V] [--rate R] [TEXT]      the benchmark (bench/speech/run.sh)
/// SpeechBench render [--voice V] [--rate R] TEXT            raw S16LE mono 22050 Hz on stdout
/// SpeechBench info                                          library version, data folder, rate
/// ```
/// `render` and `info` see the library fresh, as the first use in a process (tests rely on that).
@main
struct SpeechBench {
    struct Options {
        var mode = Mode.benchmark
        var runs = 50
        var voice = "en"
        var rate = 175
        var text = "Good morning, it is seven thirty and coffee is ready."
    }

    enum Mode {
        case benchmark, render, info
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func main() async {
        do {
            let options = try parse(Array(CommandLine.arguments.dropFirst()))
            switch options.mode {
            case .render: try await render(options)
            case .info: try await info()
            case .benchmark: try await benchmark(options)
            }
        } catch {
            FileHandle.standardError.write(Data("SpeechBench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        if rest.first == "render" {
            options.mode = .render
            rest = rest.dropFirst()
        } else if rest.first == "info" {
            options.mode = .info
            rest = rest.dropFirst()
        }
        var words: [String] = []
        while let argument = rest.popFirst() {
            switch argument {
            case "--runs", "--voice", "--rate":
                guard let value = rest.popFirst() else { throw UsageError(description: "\(argument) needs a value") }
                switch argument {
                case "--voice": options.voice = value
                case "--runs":
                    guard let runs = Int(value), runs > 0 else { throw UsageError(description: "--runs takes a count") }
                    options.runs = runs
                default:
                    guard let rate = Int(value) else { throw UsageError(description: "--rate takes words per minute") }
                    options.rate = rate
                }
            default:
                words.append(argument)
            }
        }
        if !words.isEmpty { options.text = words.joined(separator: " ") }
        return options
    }

    /// One utterance, the first of this process, as raw little-endian samples.
    static func render(_ options: Options) async throws {
        let pcm = try await EspeakSynthesizer(cacheCapacity: 0).synthesize(
            options.text, voice: options.voice, rate: options.rate)
        var bytes = [UInt8]()
        bytes.reserveCapacity(pcm.samples.count * 2)
        for sample in pcm.samples {
            let bits = UInt16(bitPattern: sample)
            bytes.append(UInt8(bits & 0xff))
            bytes.append(UInt8(bits >> 8))
        }
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func info() async throws {
        let info = try await EspeakSynthesizer().libraryInfo()
        print("version \(info.version)")
        print("data \(info.dataPath)")
        print("rate \(info.sampleRate)")
    }

    static func benchmark(_ options: Options) async throws {
        let words = options.text.split(separator: " ").count
        let settings = "voice \(options.voice), \(options.rate) wpm, \(options.runs) runs"
        print("text: \"\(options.text)\" (\(words) words), \(settings)")

        let clock = ContinuousClock()
        let uncached = EspeakSynthesizer(cacheCapacity: 0)
        let prepared = try await clock.measure { try await uncached.prepare(voice: options.voice) }
        print("prepare (library start + voice load, once at daemon start): \(format(milliseconds(prepared)))")
        var first = PCMSamples(samples: [], sampleRate: 0)
        let startup = try await clock.measure {
            first = try await uncached.synthesize(options.text, voice: options.voice, rate: options.rate)
        }
        let seconds = Double(first.samples.count) / Double(max(1, first.sampleRate))
        print("speech: \(first.samples.count) samples at \(first.sampleRate) Hz = \(format(seconds * 1000)) of audio")
        print("first synthesis after prepare: \(format(milliseconds(startup)))")

        var cold: [Double] = []
        for _ in 0..<options.runs {
            cold.append(
                milliseconds(
                    try await clock.measure {
                        _ = try await uncached.synthesize(options.text, voice: options.voice, rate: options.rate)
                    }))
        }
        report("in-process synthesis, not cached", cold)

        // A voice change reloads the voice in the library; alternate to see what that adds.
        var switching: [Double] = []
        for run in 0..<options.runs {
            let voice = run.isMultiple(of: 2) ? "de" : options.voice
            switching.append(
                milliseconds(
                    try await clock.measure {
                        _ = try await uncached.synthesize(options.text, voice: voice, rate: options.rate)
                    }))
        }
        report("in-process synthesis, not cached, voice alternating with de", switching)

        let cached = EspeakSynthesizer()
        _ = try await cached.synthesize(options.text, voice: options.voice, rate: options.rate)
        var hits: [Double] = []
        for _ in 0..<options.runs {
            hits.append(
                milliseconds(
                    try await clock.measure {
                        _ = try await cached.synthesize(options.text, voice: options.voice, rate: options.rate)
                    }))
        }
        report("in-process synthesis, cached", hits)

        let quoted = "'" + options.text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let espeak = "espeak-ng -v \(options.voice) -s \(options.rate) --stdout \(quoted)"
        let stdoutOnly = try timeShell("\(espeak) > /dev/null", runs: options.runs)
        report("espeak-ng --stdout > /dev/null (process)", stdoutOnly)
        let pipeline = try timeShell("\(espeak) | aplay -q -D null", runs: options.runs)
        report("espeak-ng --stdout | aplay -D null (processes)", pipeline)

        let ratio = median(pipeline) / max(median(cold), 0.000_001)
        print("ratio, baseline pipeline / in-process uncached (median): " + String(format: "%.1fx", ratio))
    }

    /// Wall time of `sh -c COMMAND`, once per run (after one warm-up run).
    static func timeShell(_ command: String, runs: Int) throws -> [Double] {
        let clock = ContinuousClock()
        var times: [Double] = []
        for run in 0...runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            process.standardError = FileHandle.nullDevice
            let started = clock.now
            try process.run()
            process.waitUntilExit()
            let elapsed = clock.now - started
            guard process.terminationStatus == 0 else {
                throw UsageError(description: "`\(command)` exited with \(process.terminationStatus)")
            }
            if run > 0 { times.append(milliseconds(elapsed)) }
        }
        return times
    }

    static func report(_ label: String, _ times: [Double]) {
        let p99 = percentile(times, 0.99)
        let minimum = times.min() ?? 0
        print("\(label): median \(format(median(times))), p99 \(format(p99)), min \(format(minimum)), n=\(times.count)")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    /// Nearest-rank percentile.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// Milliseconds with two decimals, or microseconds below 0.1 ms.
    static func format(_ value: Double) -> String {
        value < 0.1 ? String(format: "%.2f µs", value * 1000) : String(format: "%.2f ms", value)
    }
}
