import CoreMetrics
import Foundation
import RoutineModel

extension Engine {
    /// Starts (or queues, or refuses) a run of `name` according to its mode. Conditions are checked
    /// unless the run is manual or called by another routine. Returns the run id or why it was refused.
    @discardableResult
    func fire(
        _ name: String, trigger: String, eventData: [String: String], checkConditions: Bool = true,
        chain: [String] = [], idleKey: IdleTriggerKey? = nil
    ) -> Result<Int, EngineError> {
        guard !stopping else { return .failure(EngineError("the daemon is stopping")) }
        guard let routine = routines[name] else { return .failure(EngineError("no routine named \(name)")) }
        if checkConditions {
            guard routine.enabled else { return .failure(EngineError("routine \(name) is disabled")) }
            guard ConditionEvaluator.allHold(routine.conditions, in: conditionContext()) else {
                log(.debug, "routine \(name): conditions do not hold (\(trigger))")
                return .failure(EngineError("the conditions of routine \(name) do not hold"))
            }
        }
        let ticket = RunTicket(
            id: nextRunID, routine: routine, trigger: trigger, eventData: eventData, chain: chain + [name],
            idleKey: idleKey)
        nextRunID += 1
        switch runs.admission(for: routine) {
        case .start:
            runs.markActive(ticket)
            startTask(ticket)
        case .queue:
            runs.enqueue(ticket)
            log(.info, "routine \(name): run queued (\(trigger))")
        case .restart(let cancel, let drop):
            for id in drop { dropQueuedRun(id) }
            for id in cancel { runTasks[id]?.cancel() }
            runs.markActive(ticket)
            startTask(ticket)
        case .ignore(let reason):
            log(.notice, reason)
            return .failure(EngineError(reason))
        }
        return .success(ticket.id)
    }

    private func startTask(_ ticket: RunTicket) {
        runTasks[ticket.id] = Task(executorPreference: taskExecutor) {
            await RunLatencyProbe.$current.withValue(RunLatencyProbe()) { await self.execute(ticket) }
        }
    }

    /// Waits for a run's end.
    func waitForRun(_ id: Int) async -> (RunOutcome, String?) {
        guard runs.tickets[id] != nil else { return (.interrupted, "run \(id) is not known") }
        let task = runTasks[id]
        return await withTaskCancellationHandler {
            await withCheckedContinuation { runs.waiters[id, default: []].append($0) }
        } onCancel: {
            task?.cancel()
        }
    }

    /// Drops a queued run: its waiters learn it was interrupted.
    func dropQueuedRun(_ id: Int) {
        guard let ticket = runs.dropQueued(id) else { return }
        log(.info, "routine \(ticket.routine.name): queued run dropped")
        completeWaiters(id, .interrupted, "the queued run was dropped")
        if let key = ticket.idleKey { idleRunEnded(key) }
    }

    private func completeWaiters(_ id: Int, _ outcome: RunOutcome, _ error: String?) {
        for waiter in runs.waiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: (outcome, error)) }
    }

    func conditionContext() -> ConditionContext {
        ConditionContext(
            headphoneMode: headphoneMode, local: env.localTime.localTime(env.wallClock.now()),
            connected: Set(connectedDevices.keys))
    }

    // MARK: Running

    private func execute(_ ticket: RunTicket) async {
        let name = ticket.routine.name
        let startedAt = env.wallClock.now()
        lastRuns[name] = startedAt
        runStarts[ticket.id] = startedAt
        var record = RunRecord(routine: name, trigger: ticket.trigger, startedAt: startedAt, outcome: "running")
        // The "running" row is written while the first action starts, not before it (a SQLite write
        // is a good part of a millisecond, on the way from a trigger to the first audio frame).
        let store = env.store
        let inserted = Task(executorPreference: taskExecutor) { [record] in try await store.saveRun(record) }
        log(.info, "routine \(name): started (\(ticket.trigger))")
        var outcome = RunOutcome.success
        var failure: String?
        for (index, action) in ticket.routine.actions.enumerated() {
            if Task.isCancelled {
                outcome = .interrupted
                break
            }
            var step = RunStep(index: index, kind: action.kind.label, startedAt: env.wallClock.now())
            do {
                step.note = try await perform(action.kind, in: ticket)
            } catch {
                if Task.isCancelled || error is CancellationError {
                    step.error = "interrupted"
                    outcome = .interrupted
                } else {
                    let message = "actions[\(index)] (\(action.kind.label)): \(error)"
                    step.error = "\(error)"
                    if action.continueOnError {
                        log(.warning, "routine \(name): \(message); continuing (continueOnError)")
                    } else {
                        outcome = .error
                        failure = message
                    }
                }
            }
            step.endedAt = env.wallClock.now()
            record.steps.append(step)
            if outcome != .success { break }
        }
        do { record.id = try await inserted.value } catch { log(.error, "state store: history: \(error)") }
        record.endedAt = env.wallClock.now()
        record.outcome = outcome.rawValue
        record.error = failure ?? (outcome == .interrupted ? "interrupted" : nil)
        do { _ = try await env.store.saveRun(record) } catch { log(.error, "state store: history: \(error)") }
        Counter(label: "routines_runs_total", dimensions: [("routine", name), ("outcome", outcome.rawValue)]).increment()
        log(
            outcome == .error ? .error : .info, "routine \(name): \(outcome.rawValue)\(failure.map { ": \($0)" } ?? "")"
        )
        finish(ticket, outcome, failure)
    }

    private func finish(_ ticket: RunTicket, _ outcome: RunOutcome, _ error: String?) {
        runTasks[ticket.id] = nil
        runStarts[ticket.id] = nil
        completeWaiters(ticket.id, outcome, error)
        if let next = runs.finish(ticket.id) {
            if stopping { dropQueuedRun(next.id) } else { startTask(next) }
        }
        if let key = ticket.idleKey { idleRunEnded(key) }
        if !stopping {
            raise(Event("routine.finished", ["routine": ticket.routine.name, "outcome": outcome.rawValue]))
        }
    }

    // MARK: Actions

    /// Runs one action; returns a note for the history when it went differently without failing.
    private func perform(_ kind: ActionKind, in ticket: RunTicket) async throws -> String? {
        switch kind {
        case .play(let spec):
            let path = try env.audioFiles.resolve(spec.file)
            try await play([.file(path: path, gain: spec.gain)], explicit: spec.output, priority: .normal)
        case .tone(let spec):
            try await play([.tone(spec)], explicit: spec.output, priority: .normal)
        case .keepAlive(let spec):
            try await play([.keepAlive(spec)], explicit: spec.output, priority: .keepAlive)
        case .silence(let duration, let output):
            try await play([.silence(duration)], explicit: output, priority: .normal)
        case .announce(let spec):
            return try await announce(spec, in: ticket)
        case .headphoneMode(let change):
            try await setHeadphoneMode(change)
        case .volume(let output, let level):
            try await env.audio.setVolume(level, on: router.output(explicit: output, headphoneMode: headphoneMode))
        case .wait(let duration):
            try await mono.sleep(for: duration)
        case .emit(let name, let data):
            let renderer = templates(for: ticket)
            raise(Event(name, data.mapValues { renderer.render($0) }))
        case .run(let target):
            try await runNested(target, from: ticket)
        }
        return nil
    }

    /// Lead-in (the output's `leadIn` of keep-alive signal, so a waking Bluetooth device does not clip
    /// the start), then the chime, then the speech as it is synthesized: one play call at
    /// announcement priority. Returns why another engine spoke, when one did.
    private func announce(_ spec: AnnounceSpec, in ticket: RunTicket) async throws -> String? {
        try await announce(spec, text: templates(for: ticket, voice: spec.voice).render(spec.text))
    }

    @discardableResult
    func announce(_ spec: AnnounceSpec, text: String) async throws -> String? {
        let output = router.output(explicit: spec.output, headphoneMode: headphoneMode)
        let speech = try await env.speech.stream(text, voice: spec.voice, rate: spec.rate)
        // A playback that fails or is cancelled stops the synthesis too.
        var played = false
        defer { if !played { speech.cancel() } }
        var items: [AudioItem] = []
        if let lead = router.leadIn(of: output) {
            items.append(.keepAlive(KeepAliveSpec(duration: lead, fade: min(.milliseconds(50), lead / 4))))
        }
        if case .file(let chime) = spec.chime { items.append(.file(path: try env.audioFiles.resolve(chime), gain: 0)) }
        items.append(.speech(speech))
        try await play(items, on: output, priority: .announcement)
        played = true
        if let reason = speech.fallbackReason {
            log(.warning, "announcement on \(output): \(reason)")
            return reason
        }
        return nil
    }

    private func play(_ items: [AudioItem], explicit: String?, priority: AudioPriority) async throws {
        try await play(items, on: router.output(explicit: explicit, headphoneMode: headphoneMode), priority: priority)
    }

    /// Plays through the audio layer; the output counts as busy meanwhile, and its idle clock moves
    /// (and is persisted) when the call returns.
    func play(_ items: [AudioItem], on output: String, priority: AudioPriority) async throws {
        idle.playStarted(output, keepAlive: priority == .keepAlive, at: mono.now)
        cancelIdleTimer(output)
        var wrote = false
        defer {
            idle.playEnded(output, wrote: wrote, at: mono.now)
            rearmIdleTimer(output)
        }
        do {
            try await env.audio.play(items, on: output, priority: priority)
            wrote = true
        } catch {
            wrote = Task.isCancelled || error is CancellationError
            throw error
        }
        try? await env.store.setLastFire(IdleClocks.storeKey(output), env.wallClock.now())
    }

    /// `run`: starts another routine (its conditions skipped) and waits for it. A chain that would
    /// re-enter a routine already in it fails.
    private func runNested(_ target: String, from ticket: RunTicket) async throws {
        if ticket.chain.contains(target) {
            throw EngineError(
                "run cycle: \((ticket.chain + [target]).joined(separator: " → ")) would run \(target) again")
        }
        guard routines[target] != nil else { throw EngineError("no routine named \(target)") }
        switch fire(
            target, trigger: "run:\(ticket.routine.name)", eventData: [:], checkConditions: false, chain: ticket.chain)
        {
        case .failure(let error): throw error
        case .success(let id):
            let (outcome, error) = await waitForRun(id)
            try Task.checkCancellation()
            switch outcome {
            case .success: return
            case .error: throw EngineError("routine \(target) failed: \(error ?? "error")")
            case .interrupted: throw EngineError("routine \(target) was interrupted")
            }
        }
    }

    /// `voice`: the announcement's, for times, dates and weekdays in its language (English otherwise).
    func templates(for ticket: RunTicket, voice: String = "en") -> TemplateRenderer {
        TemplateRenderer(
            local: env.localTime.localTime(env.wallClock.now()), clock: config.clock, routine: ticket.routine.name,
            headphoneMode: headphoneMode, eventData: ticket.eventData, voice: voice)
    }
}

extension ActionKind {
    /// The action's key in routine files (`play`, `announce`, …), for history steps.
    var label: String {
        switch self {
        case .play: return "play"
        case .tone: return "tone"
        case .keepAlive: return "keepAlive"
        case .silence: return "silence"
        case .announce: return "announce"
        case .headphoneMode: return "headphoneMode"
        case .volume: return "volume"
        case .wait: return "wait"
        case .emit: return "emit"
        case .run: return "run"
        }
    }
}
