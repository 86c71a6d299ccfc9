import Synchronization

/// Which history rows handed to an `OrderedRunStore` are not committed yet, per run, and who waits
/// for them. The store's thread reports each commit here directly, so a waiting trigger reply is
/// resumed from that thread without a task in between.
final class RowCommits: Sendable {
    private struct Run {
        var pending = 0
        /// The first failed write of the run (kept until `forget`).
        var error: String?
        var waiters: [CheckedContinuation<String?, Never>] = []
    }

    private let runs = Mutex<[Int: Run]>([:])

    /// A row of run `id` was handed to the store.
    func begin(_ id: Int) {
        runs.withLock { $0[id, default: Run()].pending += 1 }
    }

    /// A row of run `id` is committed (or failed with `error`): when none is left, the waiters go on.
    func end(_ id: Int, error: String?) {
        let waiters: [CheckedContinuation<String?, Never>]
        let failure: String?
        (waiters, failure) = runs.withLock { runs in
            guard var run = runs[id] else { return ([], nil) }
            run.pending -= 1
            if run.error == nil { run.error = error }
            guard run.pending <= 0 else {
                runs[id] = run
                return ([], nil)
            }
            let waiting = run.waiters
            run.waiters = []
            // Nothing left to remember unless a write failed (the error is asked for by `wait`).
            runs[id] = run.error == nil ? nil : run
            return (waiting, run.error)
        }
        for waiter in waiters { waiter.resume(returning: failure) }
    }

    /// Waits until every row of run `id` handed over so far is committed; the error when one failed.
    /// Returns at once (no suspension) when nothing is pending.
    func wait(_ id: Int) async -> String? {
        let settled: String?? = runs.withLock { runs in
            guard let run = runs[id] else { return .some(nil) }
            return run.pending <= 0 ? .some(run.error) : nil
        }
        if let settled { return settled }
        return await withCheckedContinuation { continuation in
            let settled: String?? = runs.withLock { runs in
                guard var run = runs[id] else { return .some(nil) }
                guard run.pending > 0 else { return .some(run.error) }
                run.waiters.append(continuation)
                runs[id] = run
                return nil
            }
            if let settled { continuation.resume(returning: settled) }
        }
    }

    /// Forgets run `id` (its rows are all written and its error was read).
    func forget(_ id: Int) {
        runs.withLock { runs in
            if let run = runs[id], run.pending <= 0 { runs[id] = nil }
        }
    }

    /// Waits until no row of any run is pending (shutdown).
    func waitForAll() async {
        let ids = runs.withLock { runs in runs.filter { $0.value.pending > 0 }.map(\.key) }
        for id in ids { _ = await wait(id) }
    }
}
