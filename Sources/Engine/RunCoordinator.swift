import FoundationEssentials
import RoutineModel

/// One accepted run of a routine, from trigger to finish.
struct RunTicket: Sendable {
    var id: Int
    var routine: Routine
    /// `cli`, `api ADDRESS`, `event:NAME [via SOURCE]`, `routine#0`, `catchUp:routine#0`, `startup`, `run:CALLER`, `idle:OUTPUT`.
    var trigger: String
    var eventData: [String: String]
    /// Routines already in this run chain (for the `run` cycle guard), this one last.
    var chain: [String]
    /// Set when an idle trigger started the run: the trigger re-arms when the run ends.
    var idleKey: IdleTriggerKey?
    /// When the trigger was accepted (the history row's start until the run starts executing).
    var admittedAt: Date
    /// It waited in the queue (its row says `queued` until it starts).
    var wasQueued = false
}

/// What a trigger does to a routine given its run mode (SPEC §3 `mode`).
enum Admission: Equatable {
    case start
    case queue
    /// Cancel these runs (and drop the queued ones), then start.
    case restart(cancel: [Int], drop: [Int])
    case ignore(String)
}

/// The run-mode bookkeeping of every routine: which runs are active and which wait. Pure state; the
/// engine owns the tasks.
struct RunBook {
    private(set) var active: [String: Set<Int>] = [:]
    private(set) var queued: [String: [RunTicket]] = [:]
    private(set) var tickets: [Int: RunTicket] = [:]
    /// Continuations of callers waiting for a run's end (`trigger --wait`, `run` actions).
    var waiters: [Int: [CheckedContinuation<(RunOutcome, String?), Never>]] = [:]
    /// Runs whose `trigger --wait` caller is still awaiting the run's history commit: a run that
    /// ends meanwhile leaves its outcome in `endedBeforeTheirWaiter` instead of being forgotten.
    var waiterExpected: Set<Int> = []
    var endedBeforeTheirWaiter: [Int: (RunOutcome, String?)] = [:]

    /// Decides what a new trigger of `routine` does.
    func admission(for routine: Routine) -> Admission {
        let running = active[routine.name]?.count ?? 0
        let waiting = queued[routine.name]?.count ?? 0
        let max = Swift.max(1, routine.max)
        switch routine.mode {
        case .single:
            return running + waiting == 0
                ? .start : .ignore("routine \(routine.name) is already running (mode single); trigger ignored")
        case .restart:
            return .restart(
                cancel: Array(active[routine.name] ?? []).sorted(), drop: (queued[routine.name] ?? []).map(\.id))
        case .queued:
            if running == 0 { return .start }
            return waiting < max
                ? .queue
                : .ignore("routine \(routine.name) already has \(max) queued runs (mode queued); trigger dropped")
        case .parallel:
            return running < max
                ? .start : .ignore("routine \(routine.name) already runs \(max) times (mode parallel); trigger dropped")
        }
    }

    /// Records a run that starts now.
    mutating func markActive(_ ticket: RunTicket) {
        active[ticket.routine.name, default: []].insert(ticket.id)
        tickets[ticket.id] = ticket
    }

    /// Records a run that waits for the running one.
    mutating func enqueue(_ ticket: RunTicket) {
        queued[ticket.routine.name, default: []].append(ticket)
        tickets[ticket.id] = ticket
    }

    /// Removes a queued run (dropped by `restart`, `remove` or shutdown).
    mutating func dropQueued(_ id: Int) -> RunTicket? {
        guard let ticket = tickets[id], var list = queued[ticket.routine.name],
            let index = list.firstIndex(where: { $0.id == id })
        else { return nil }
        list.remove(at: index)
        queued[ticket.routine.name] = list.isEmpty ? nil : list
        tickets[id] = nil
        return ticket
    }

    /// Forgets a finished run and returns the next queued run of its routine, if one may start now.
    mutating func finish(_ id: Int) -> RunTicket? {
        guard let ticket = tickets.removeValue(forKey: id) else { return nil }
        let name = ticket.routine.name
        active[name]?.remove(id)
        if active[name]?.isEmpty == true { active[name] = nil }
        guard active[name] == nil, var list = queued[name], !list.isEmpty else { return nil }
        let next = list.removeFirst()
        queued[name] = list.isEmpty ? nil : list
        active[name, default: []].insert(next.id)
        return next
    }

    /// Forgets a run that was promoted from the queue but will never start (the daemon stops).
    mutating func forget(_ id: Int) {
        guard let ticket = tickets.removeValue(forKey: id) else { return }
        active[ticket.routine.name]?.remove(id)
        if active[ticket.routine.name]?.isEmpty == true { active[ticket.routine.name] = nil }
    }

    /// Ids of the active runs of a routine.
    func activeIDs(of routine: String) -> [Int] { Array(active[routine] ?? []).sorted() }
    /// Ids of the queued runs of a routine.
    func queuedIDs(of routine: String) -> [Int] { (queued[routine] ?? []).map(\.id) }
    /// Every active run.
    var allActive: [RunTicket] { active.values.flatMap { $0 }.compactMap { tickets[$0] }.sorted { $0.id < $1.id } }
    /// Every queued run.
    var allQueuedIDs: [Int] { queued.values.flatMap { $0.map(\.id) } }
    /// Names of routines with active or queued runs.
    var busyRoutines: [String] { Set(active.keys).union(queued.keys).sorted() }
}
