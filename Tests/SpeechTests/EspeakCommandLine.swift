import Foundation

/// Runs the `espeak-ng` program and reads the WAV it writes to stdout: the reference rendering.
enum EspeakCommandLine {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Samples and rate of `espeak-ng -v VOICE -s RATE --stdout TEXT`.
    static func render(_ text: String, voice: String, rate: Int) throws -> (samples: [Int16], sampleRate: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["espeak-ng", "-v", voice, "-s", String(rate), "--stdout", text]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "espeak-ng exited with \(process.terminationStatus)")
        }
        return try WAV.parse(data)
    }
}

/// A minimal reader for 16-bit PCM WAV (what espeak-ng writes).
enum WAV {
    /// The samples of the `data` chunk and the rate of the `fmt ` chunk.
    static func parse(_ data: Data) throws -> (samples: [Int16], sampleRate: Int) {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else {
            throw EspeakCommandLine.Failure(description: "not a WAV file (\(bytes.count) bytes)")
        }
        var offset = 12
        var sampleRate = 0
        while offset + 8 <= bytes.count {
            let size = u32(offset + 4)
            let body = offset + 8
            if tag(offset) == "fmt " {
                sampleRate = u32(body + 4)
            } else if tag(offset) == "data" {
                // Written to a pipe, the header cannot know the size: read to the end.
                let end = min(bytes.count, body + size)
                var samples: [Int16] = []
                samples.reserveCapacity((end - body) / 2)
                var index = body
                while index + 1 < end {
                    samples.append(Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8))
                    index += 2
                }
                return (samples, sampleRate)
            }
            offset = body + size + (size & 1)
        }
        throw EspeakCommandLine.Failure(description: "WAV without a data chunk")
    }
}

/// The `SpeechBench` program built next to the tests: `SpeechBench render` speaks one text through
/// `EspeakSynthesizer` as the first utterance of a fresh process and writes raw samples.
enum SpeechBenchProgram {
    /// The built `SpeechBench` in the same build folder as the running tests.
    static func locate() throws -> URL {
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        // The test binary sits in `.build/<triple>/debug/` (or inside an `.xctest` bundle there).
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("SpeechBench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw EspeakCommandLine.Failure(
            description: "SpeechBench is not built next to the tests; run `swift build` first")
    }

    /// Runs `SpeechBench ARGUMENTS` with extra environment variables.
    static func run(
        _ program: URL, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (status: Int32, output: Data, errors: String) {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, String(decoding: messages, as: UTF8.self))
    }

    /// Raw mono 16-bit samples of `SpeechBench render`.
    static func render(_ program: URL, _ text: String, voice: String, rate: Int) throws -> [Int16] {
        let result = try run(program, ["render", "--voice", voice, "--rate", String(rate), text])
        guard result.status == 0 else {
            throw EspeakCommandLine.Failure(
                description: "SpeechBench render exited with \(result.status): \(result.errors)")
        }
        let bytes = [UInt8](result.output)
        return stride(from: 0, to: bytes.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
        }
    }
}
