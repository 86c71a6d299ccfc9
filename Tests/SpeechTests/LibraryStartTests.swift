import Foundation
import Testing

@testable import Speech

/// Starting the library happens once per process, so these run `SpeechBench` in a fresh one.
@Suite("Starting libespeak-ng")
struct LibraryStartTests {
    /// A fresh temporary folder, removed by the caller.
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("speech-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("ESPEAK_DATA_PATH chooses the data folder")
    func dataPathFromEnvironment() async throws {
        let installed = try await EspeakSynthesizer().libraryInfo()
        #expect(installed.sampleRate == 22_050)
        #expect(installed.dataPath.hasSuffix("espeak-ng-data"))

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("espeak-ng-data")
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: installed.dataPath)

        let bench = try SpeechBenchProgram.locate()
        let result = try SpeechBenchProgram.run(bench, ["info"], environment: ["ESPEAK_DATA_PATH": folder.path])
        #expect(result.status == 0, "\(result.errors)")
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("data \(data.path)"))
        #expect(lines.contains("rate 22050"))
    }

    @Test("a data folder without voices is a clear error, not an exit from inside the library")
    func brokenDataPath() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("espeak-ng-data"), withIntermediateDirectories: true)

        let bench = try SpeechBenchProgram.locate()
        let result = try SpeechBenchProgram.run(
            bench, ["render", "Hello."], environment: ["ESPEAK_DATA_PATH": folder.path])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(
            result.errors.contains("cannot start libespeak-ng (data folder \(folder.path)/espeak-ng-data)"),
            "\(result.errors)")
        #expect(result.errors.contains("set ESPEAK_DATA_PATH"), "\(result.errors)")
    }
}

@Suite("Preparing the synthesizer")
struct PrepareTests {
    @Test("prepare loads a known voice and refuses an unknown one")
    func prepare() async throws {
        let synthesizer = EspeakSynthesizer()
        try await synthesizer.prepare(voice: "en-us")
        await #expect(throws: SpeechError.unknownVoice("xx-nope", suggestions: [])) {
            try await synthesizer.prepare(voice: "xx-nope")
        }
        #expect(synthesizer.statistics.syntheses == 0)
    }
}
