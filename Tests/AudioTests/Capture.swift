import Audio
import Engine
import Foundation
import RoutineModel

/// A temporary ALSA configuration whose PCMs `speakers` and `headphones` capture into raw files
/// (ALSA's `file` plugin over a `null` slave), and an `AudioRouter` using it.
final class Capture: Sendable {
    let dir: String
    let configFile: String
    let router: AudioRouter
    let written = WriteLog()

    init(outputs: [String] = ["speakers", "headphones"], extraPCMs: String = "") throws {
        dir = NSTemporaryDirectory() + "routines-audio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        configFile = dir + "/asound.conf"
        var text = ""
        for name in outputs {
            text +=
                "pcm.\(name) { type file slave.pcm { type null } file \"\(dir)/\(name).raw\" format \"raw\" truncate false }\n"
        }
        try (text + extraPCMs).write(toFile: configFile, atomically: true, encoding: .utf8)
        var config = Config()
        config.outputs = Dictionary(uniqueKeysWithValues: outputs.map { ($0, OutputConfig(pcm: $0)) })
        config.outputs["missing"] = OutputConfig(pcm: "no_such_pcm")
        let log = written
        router = AudioRouter(config: config, configFile: configFile, linger: 0, onWrite: { log.add($0) })
    }

    /// The captured samples of an output (interleaved stereo S16LE at 48 kHz), all openings in order
    /// (`truncate false` writes NAME.raw, then NAME.raw.0001, …).
    func samples(_ output: String) -> [Int16] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("\(output).raw") }.sorted()
        var all: [Int16] = []
        for name in names {
            guard let data = FileManager.default.contents(atPath: "\(dir)/\(name)") else { continue }
            all += data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        }
        return all
    }

    /// How many times the output was opened.
    func openings(_ output: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("\(output).raw") }
            .count
    }

    /// Left channel only.
    func left(_ output: String) -> [Double] {
        let all = samples(output)
        return stride(from: 0, to: all.count, by: 2).map { Double(all[$0]) }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

/// Records `onWrite` callbacks.
final class WriteLog: @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private let lock = NSLock()
    private var outputs: [String] = []
    func add(_ output: String) {
        lock.lock()
        outputs.append(output)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return outputs
    }
}
