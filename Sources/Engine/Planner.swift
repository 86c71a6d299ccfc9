import FoundationEssentials
import RoutineModel

/// One wall-clock trigger (`at`, `cron`, `sun`) with its next planned fire.
struct WallPlan: Sendable {
    /// `routine#index` or `routine#id`: the catch-up mark's key.
    var key: String
    var routine: String
    var trigger: Trigger
    var nextFire: @Sendable (Date) -> Date?
    var next: Date?
    /// The latest fire instant already handled (run or skipped): nothing at or before it fires again,
    /// even when the wall clock steps back.
    var handledUntil: Date?
}

/// What the planner decided for a due plan.
enum WallDecision: Equatable {
    /// Run now; `late` marks a fire run under its `catchUp` after a clock jump or sleep.
    case fire(key: String, routine: String, instant: Date, late: Bool)
    /// Missed by more than its `catchUp`: skipped and logged, never silently.
    case skip(key: String, routine: String, instant: Date, missed: Int)
}

/// The wall-clock plans of all routines. Pure state: the engine sleeps until `earliest()` through
/// `WallClock.sleep(until:)` (a single sleeping planner task) and hands each wake to `collectDue`.
struct WallPlanner {
    private(set) var plans: [String: WallPlan] = [:]
    private var keysByRoutine: [String: [String]] = [:]

    /// How late a fire may run after a normal wake (a busy machine) before the catch-up rule applies.
    static let dueTolerance: Duration = .seconds(60)
    /// How late a fire may run after a wall-clock jump before the catch-up rule applies (NTP steps).
    static let jumpTolerance: Duration = .seconds(1)
    /// Bound on the fires walked when counting missed fires of one plan.
    static let missedWalkLimit = 10_000

    mutating func add(_ plan: WallPlan) {
        plans[plan.key] = plan
        keysByRoutine[plan.routine, default: []].append(plan.key)
    }

    /// Removes a routine's plans; returns their planned fires.
    @discardableResult
    mutating func remove(routine: String) -> [Date] {
        let keys = keysByRoutine.removeValue(forKey: routine) ?? []
        return keys.compactMap { plans.removeValue(forKey: $0)?.next }
    }

    /// The next fires of a routine's plans.
    func nextFire(of routine: String) -> Date? {
        (keysByRoutine[routine] ?? []).compactMap { plans[$0]?.next }.min()
    }

    /// The earliest planned fire of all routines.
    func earliest() -> Date? {
        var best: Date?
        for plan in plans.values {
            if let next = plan.next, best == nil || next < best! { best = next }
        }
        return best
    }

    /// Decides every plan due at `now` and plans its next fire. After a `.clockChanged` wake every
    /// plan is re-planned from `now`, never at or before what it already handled.
    mutating func collectDue(now: Date, wake: WallClockWake) -> [WallDecision] {
        let tolerance = wake == .clockChanged ? Self.jumpTolerance : Self.dueTolerance
        var decisions: [WallDecision] = []
        // Only due plans are decided (sorted, so runs start in a stable order); after a jump, all are re-planned.
        let keys =
            wake == .clockChanged
            ? plans.keys.sorted() : plans.filter { $0.value.next.map { $0 <= now } ?? false }.keys.sorted()
        for key in keys {
            guard var plan = plans[key] else { continue }
            if let first = plan.next, first <= now {
                let (latest, count) = Self.latestMissed(plan, first: first, now: now)
                let late = Duration.seconds(now.timeIntervalSince(latest))
                if late <= tolerance && count == 1 {
                    decisions.append(.fire(key: key, routine: plan.routine, instant: latest, late: false))
                } else if late <= max(tolerance, plan.trigger.catchUp ?? .zero) {
                    decisions.append(.fire(key: key, routine: plan.routine, instant: latest, late: true))
                } else {
                    decisions.append(.skip(key: key, routine: plan.routine, instant: latest, missed: count))
                }
                plan.handledUntil = max(plan.handledUntil ?? latest, latest)
                plan.next = plan.nextFire(max(now, latest))
            } else if wake == .clockChanged {
                let from = max(now, plan.handledUntil ?? now)
                plan.next = plan.nextFire(from)
            }
            plans[key] = plan
        }
        return decisions
    }

    /// The latest fire at or before `now`, starting from `first`, and how many fires that spans.
    static func latestMissed(_ plan: WallPlan, first: Date, now: Date) -> (Date, Int) {
        var latest = first
        var count = 1
        while count < missedWalkLimit, let n = plan.nextFire(latest), n <= now {
            latest = n
            count += 1
        }
        return (latest, count)
    }
}

extension Engine {
    /// The key of a trigger's catch-up mark: `routine#id` or `routine#index`.
    static func triggerKey(_ routine: String, _ index: Int, _ trigger: Trigger) -> String {
        "\(routine)#\(trigger.id ?? String(index))"
    }

    /// Plans a routine's wall-clock and `every` triggers. At start (`catchingUp`), a fire missed while
    /// the daemon was down runs once under its `catchUp`; a routine applied later only gets its mark.
    func planTriggers(of name: String, catchingUp: Bool) async {
        guard let routine = routines[name], routine.enabled else { return }
        let now = env.wallClock.now()
        var catchUps: [(key: String, plan: WallPlan, catchUp: Duration)] = []
        for (index, trigger) in routine.triggers.enumerated() {
            let key = Self.triggerKey(name, index, trigger)
            switch trigger.kind {
            case .at, .cron, .sun:
                do {
                    let nextFire = try env.fireCalculator.prepare(trigger)
                    let plan = WallPlan(
                        key: key, routine: name, trigger: trigger, nextFire: nextFire, next: nextFire(now))
                    planner.add(plan)
                    if let catchUp = trigger.catchUp { catchUps.append((key, plan, catchUp)) }
                } catch {
                    log(.error, "routine \(name): triggers[\(index)]: \(error)")
                }
            case .every(let interval):
                startEvery(key: key, routine: name, interval: interval, jitter: trigger.jitter)
            default:
                break
            }
        }
        for (key, plan, catchUp) in catchUps {
            await catchUpIfMissed(key: key, plan: plan, catchUp: catchUp, now: now, fireMissed: catchingUp)
        }
    }

    /// At plan time: a fire missed since the persisted mark runs once when at most `catchUp` late.
    private func catchUpIfMissed(key: String, plan: WallPlan, catchUp: Duration, now: Date, fireMissed: Bool) async {
        let mark: Date?
        do { mark = try await env.store.lastFire(key) } catch {
            log(.error, "state store: catch-up mark \(key): \(error)")
            return
        }
        guard let mark else {
            // First time this trigger is known: from now on a missed fire can be caught up.
            try? await env.store.setLastFire(key, now)
            return
        }
        guard fireMissed, let first = plan.nextFire(mark), first <= now, routines[plan.routine] != nil else { return }
        let (latest, count) = WallPlanner.latestMissed(plan, first: first, now: now)
        let late = Duration.seconds(now.timeIntervalSince(latest))
        if late <= catchUp {
            log(.info, "routine \(plan.routine): catching up the fire of \(latest) (\(DurationText.format(late)) late)")
            fire(plan.routine, trigger: "catchUp:\(key)", eventData: [:])
            try? await env.store.setLastFire(key, now)
        } else {
            log(
                .notice,
                "routine \(plan.routine): \(count) fire(s) missed while down, the last at \(latest), "
                    + "more than catchUp late; skipped"
            )
        }
    }

    /// Arms the planner task for the earliest deadline of all plans (a full scan).
    func rearmPlanner() {
        guard started, !stopping else { return }
        armPlanner(planner.earliest())
    }

    /// Moves the planner earlier when `candidate` comes before the armed deadline: the cheap path
    /// when thousands of routines load one by one.
    func considerPlannerDeadline(_ candidate: Date?) {
        guard started, !stopping, let candidate else { return }
        if plannerTask != nil, let armed = plannerDeadline, armed <= candidate { return }
        armPlanner(candidate)
    }

    private func armPlanner(_ deadline: Date?) {
        if deadline == plannerDeadline, plannerTask != nil { return }
        plannerTask?.cancel()
        plannerTask = nil
        plannerDeadline = deadline
        plannerGeneration += 1
        guard let deadline else { return }
        let generation = plannerGeneration
        let wall = env.wallClock
        plannerTask = Task(executorPreference: taskExecutor) {
            let wake: WallClockWake
            do { wake = try await wall.sleep(until: deadline) } catch { return }
            await self.plannerWoke(wake, generation: generation)
        }
    }

    private func plannerWoke(_ wake: WallClockWake, generation: Int) async {
        guard generation == plannerGeneration, !stopping else { return }
        plannerTask = nil
        plannerDeadline = nil
        let now = env.wallClock.now()
        if wake == .clockChanged { log(.notice, "wall clock changed; re-planning every schedule") }
        let decisions = planner.collectDue(now: now, wake: wake)
        var marks: [String] = []
        for decision in decisions {
            switch decision {
            case .fire(let key, let routine, let instant, let late):
                if late { log(.info, "routine \(routine): running the fire of \(instant) late, within catchUp") }
                let jitter = planner.plans[key]?.trigger.jitter
                fireScheduled(routine, trigger: key, jitter: jitter)
                marks.append(key)
            case .skip(_, let routine, let instant, let missed):
                log(
                    .notice,
                    "routine \(routine): \(missed) fire(s) missed by a clock jump, the last at \(instant), "
                        + "more than catchUp late; skipped"
                )
            }
        }
        rearmPlanner()
        for key in marks {
            do { try await env.store.setLastFire(key, now) } catch { log(.error, "state store: mark \(key): \(error)") }
        }
    }

    /// Fires a schedule trigger now, or after a random `jitter` delay on the monotonic clock.
    func fireScheduled(_ routine: String, trigger: String, jitter: Duration?) {
        guard let jitter, jitter > .zero else {
            fire(routine, trigger: trigger, eventData: [:])
            return
        }
        let delay = env.jitter(jitter)
        let id = nextTimerID
        nextTimerID += 1
        let mono = self.mono
        delayedFires[id] = Task(executorPreference: taskExecutor) {
            do { try await mono.sleep(for: delay) } catch { return }
            await self.delayedFireDue(id, routine: routine, trigger: trigger)
        }
    }

    private func delayedFireDue(_ id: Int, routine: String, trigger: String) {
        guard delayedFires.removeValue(forKey: id) != nil, !stopping else { return }
        fire(routine, trigger: trigger, eventData: [:])
    }

    /// One task per `every` trigger: first fire one interval after load, then every interval.
    private func startEvery(key: String, routine: String, interval: Duration, jitter: Duration?) {
        guard interval > .zero else { return }
        everyTasks[key]?.cancel()
        let mono = self.mono
        let start = mono.now
        let random = env.jitter
        everyTasks[key] = Task(executorPreference: taskExecutor) {
            var due = start + interval
            while true {
                do {
                    try await mono.sleep(until: due)
                    if let jitter, jitter > .zero { try await mono.sleep(for: random(jitter)) }
                } catch { return }
                guard await self.everyDue(key: key, routine: routine) else { return }
                due += interval
                let now = mono.now
                if due < now { due = now + interval }
            }
        }
    }

    private func everyDue(key: String, routine: String) -> Bool {
        guard !stopping, everyTasks[key] != nil else { return false }
        fire(routine, trigger: key, eventData: [:])
        return true
    }
}
