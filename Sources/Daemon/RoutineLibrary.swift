import CoreMetrics
import Engine
import Logging
import RoutineModel

/// Owns the `RoutineStore` and feeds its changes to the engine; the control API reads problems from it.
public actor RoutineLibrary {
    private var store: RoutineStore
    private let engine: Engine
    private let logger: Logger
    /// Checks beyond the file format (voices known to espeak-ng); errors make the file invalid.
    private let extraChecks: @Sendable (Routine, String) async -> [Diagnostic]

    public init(
        folder: String, config: Config, engine: Engine, logger: Logger,
        extraChecks: @escaping @Sendable (Routine, String) async -> [Diagnostic] = { _, _ in [] }
    ) {
        store = RoutineStore(folder: folder, config: config)
        self.engine = engine
        self.logger = logger
        self.extraChecks = extraChecks
    }

    /// Adds the extra checks' diagnostics; an error among them withdraws the routine value.
    private func checked(_ result: DecodeResult<Routine>?, file: String) async -> DecodeResult<Routine>? {
        guard var result, let routine = result.value else { return result }
        let more = await extraChecks(routine, file)
        guard !more.isEmpty else { return result }
        result.diagnostics += more
        if more.contains(where: { $0.severity == .error }) { result.value = nil }
        return result
    }

    /// Loads the whole folder into the engine (before `engine.start()`).
    public func loadAll() async -> Int {
        var results = await store.readAll()
        for index in results.indices {
            results[index].1 = await checked(results[index].1, file: store.path(of: results[index].0))
        }
        let changes = store.record(results)
        for change in changes { await apply(change) }
        for (_, diagnostics) in store.problems.sorted(by: { $0.key < $1.key }) {
            for diagnostic in diagnostics { log(diagnostic) }
        }
        return store.routines.count
    }

    /// Applies one changed file (from the folder watcher); `nil` re-scans everything. Returns the
    /// names of files that could not be read (descriptors exhausted, I/O error): the caller tries
    /// them again, since inotify reports nothing more for a file that does not change.
    @discardableResult
    public func changed(_ fileName: String?) async -> [String] {
        guard let fileName else {
            let present = Set(store.scan())
            var unreadable: [String] = []
            for name in Set(store.routines.keys.map { $0 + ".json" }).union(store.problems.keys).union(present) {
                unreadable += await changed(name)
            }
            return unreadable.sorted()
        }
        let before = store.problems[fileName]
        let attempt = RoutineStore.attempt(store.path(of: fileName), config: store.config)
        let result = await checked(attempt.result, file: store.path(of: fileName))
        let change = store.record([(fileName, result)]).first ?? .keep
        await apply(change)
        DaemonMetrics.reload(result == nil ? "removed" : result?.value == nil ? "invalid" : "applied")
        if let problems = store.problems[fileName], problems != before {
            for diagnostic in problems { log(diagnostic) }
            if store.routines[String(fileName.dropLast(5))] != nil {
                logger.warning("\(fileName): keeping the last valid version of the routine until the file is fixed")
            }
        }
        return attempt.unreadable ? [fileName] : []
    }

    private func apply(_ change: RoutineStore.Change) async {
        switch change {
        case .apply(let routine):
            await engine.apply(routine)
            logger.info("loaded routine \(routine.name)")
        case .remove(let name):
            await engine.remove(name)
            logger.info("removed routine \(name)")
        case .keep:
            break
        }
    }

    private func log(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .warning {
            logger.warning("\(diagnostic.description)")
        } else {
            logger.error("\(diagnostic.description)")
        }
    }

    /// Problems per file name (only files that have some).
    public func problems() -> [String: [Diagnostic]] { store.problems }

    /// Names of the routines with a valid version.
    public func names() -> [String] { store.routines.keys.sorted() }

    /// Every routine's last valid version, by name.
    public func all() -> [String: Routine] { store.routines }

    /// One routine's last valid version.
    public func routine(_ name: String) -> Routine? { store.routines[name] }
}
