import FoundationEssentials
import RoutineFiles
import RoutineModel

/// The routines folder as the daemon sees it: per routine name the last valid version and the
/// problems of the file as it is now. A broken file keeps its last valid version running; a deleted
/// file removes the routine.
public struct RoutineStore: Sendable {
    /// What changed for the engine after reading one file.
    public enum Change: Sendable, Equatable {
        case apply(Routine)
        case remove(String)
        case keep
    }

    public let folder: String
    public let config: Config
    /// Last valid routine per name.
    public private(set) var routines: [String: Routine] = [:]
    /// Current problems (errors and warnings) per file name; only files with problems are listed.
    public private(set) var problems: [String: [Diagnostic]] = [:]

    public init(folder: String, config: Config) {
        self.folder = folder
        self.config = config
    }

    var base: String { folder.hasSuffix("/") ? folder : folder + "/" }

    /// The routine file names in the folder.
    public func scan() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") && !RoutineFileName.isIgnored($0) }.sorted()
    }

    /// Reads every routine file in the folder (in parallel for large folders); apply the results
    /// with `record(_:)`.
    public func readAll() async -> [(String, DecodeResult<Routine>?)] {
        let names = scan()
        let base = self.base
        let config = self.config
        return await withTaskGroup(of: [(String, DecodeResult<Routine>?)].self) { group in
            let chunk = max(64, names.count / 8)
            for start in stride(from: 0, to: names.count, by: chunk) {
                let slice = Array(names[start..<min(names.count, start + chunk)])
                group.addTask {
                    slice.map { name in (name, RoutineStore.read(base + name, config: config)) }
                }
            }
            var all: [(String, DecodeResult<Routine>?)] = []
            for await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }
        }
    }

    /// Records the results of `readAll()`; returns what the engine must do.
    public mutating func record(_ results: [(String, DecodeResult<Routine>?)]) -> [Change] {
        results.map { record($0.0, $0.1) }
    }

    /// The path of a file in the folder.
    public func path(of fileName: String) -> String { base + fileName }

    private mutating func record(_ fileName: String, _ result: DecodeResult<Routine>?) -> Change {
        let routineName = String(fileName.dropLast(5))
        guard let result else {
            // The file is gone.
            problems[fileName] = nil
            if routines.removeValue(forKey: routineName) != nil { return .remove(routineName) }
            return .keep
        }
        problems[fileName] = result.diagnostics.isEmpty ? nil : result.diagnostics
        guard let routine = result.value else { return .keep }
        if routines[routine.name] == routine { return .keep }
        routines[routine.name] = routine
        return .apply(routine)
    }

    /// Decodes a file; nil when it does not exist (deleted or renamed away).
    public static func read(_ path: String, config: Config) -> DecodeResult<Routine>? {
        attempt(path, config: config).result
    }

    /// Decodes a file, and says whether it could not be read (descriptors exhausted, I/O error,
    /// permission), as opposed to refused for its type or size or decoded: such a read is worth trying
    /// again, since inotify reports nothing more for a file that does not change.
    public static func attempt(_ path: String, config: Config) -> (result: DecodeResult<Routine>?, unreadable: Bool) {
        switch InputFile.read(path) {
        case .success(let bytes):
            return (RoutineDecoder.decode(bytes, file: path, config: config), false)
        case .failure(let problem) where problem.kind == .missing:
            return (nil, false)
        case .failure(let problem):
            let message = (problem.kind == .unreadable ? "cannot read the file: " : "cannot read: ") + problem.message
            return (
                DecodeResult(value: nil, diagnostics: [Diagnostic(file: path, message: message)]),
                problem.kind == .unreadable
            )
        }
    }
}
