import CoreMetrics
import FoundationEssentials
import RoutineModel

extension Engine {
    /// Starts (or queues, or refuses) a run of `name` according to its mode. Conditions are checked
    /// unless the run is manual or called by another routine; a disabled routine runs only when
    /// `force`d (manual runs) or called by another routine. Returns the run id or why it was refused.
    ///
    /// Every accepted run gets its history row at once (`running`, or `queued`), written under the
    /// run's id; `rowCommitted(_:)` waits for that write (a trigger is acknowledged only after it).
    @discardableResult
    func fire(
        _ name: String, trigger: String, eventData: [String: String], checkConditions: Bool = true,
        force: Bool = false, chain: [String] = [], idleKey: IdleTriggerKey? = nil
    ) -> Result<Int, EngineError> {
        guard !stopping else { return .failure(EngineError("the daemon is stopping")) }
        guard let routine = routines[name] else { return .failure(EngineError("no routine named \(name)")) }
        if !routine.enabled, !force {
            return .failure(EngineError("routine \(name) is disabled (\(enabledExplanation(name)))"))
        }
        if checkConditions {
            guard ConditionEvaluator.allHold(routine.conditions, in: conditionContext()) else {
                log(.debug, "routine \(name): conditions do not hold (\(trigger))")
                return .failure(EngineError("the conditions of routine \(name) do not hold"))
            }
        }
        let ticket = RunTicket(
            id: nextRunID, routine: routine, trigger: trigger, eventData: eventData, chain: chain + [name],
            idleKey: idleKey, admittedAt: env.wallClock.now())
        switch runs.admission(for: routine) {
        case .start:
            nextRunID += 1
            runs.markActive(ticket)
            writeRow(
                RunRecord(
                    id: Int64(ticket.id), routine: name, trigger: trigger, startedAt: ticket.admittedAt,
                    outcome: "running"))
            startTask(ticket)
        case .queue:
            nextRunID += 1
            var ticket = ticket
            ticket.wasQueued = true
            runs.enqueue(ticket)
            writeRow(
                RunRecord(
                    id: Int64(ticket.id), routine: name, trigger: trigger, startedAt: ticket.admittedAt,
                    outcome: "queued"))
            log(.info, "routine \(name): run queued (\(trigger))")
        case .restart(let cancel, let drop):
            nextRunID += 1
            for id in drop {
                dropQueuedRun(id, .skipped, "a newer trigger restarted the routine before this run started")
            }
            for id in cancel { cancelRun(id, .cancelled, "restarted by a newer trigger (\(trigger))") }
            runs.markActive(ticket)
            writeRow(
                RunRecord(
                    id: Int64(ticket.id), routine: name, trigger: trigger, startedAt: ticket.admittedAt,
                    outcome: "running"))
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

    /// Writes a run's history row after the run's earlier writes (rows of one run never overtake each
    /// other); `rowCommitted(_:)` waits for it. An `OrderedRunStore` takes the row at once, in order;
    /// otherwise the write runs in a task of its own. Either way cancelling the run never cancels its
    /// record.
    func writeRow(_ record: RunRecord) {
        let id = Int(record.id ?? 0)
        if let orderedStore {
            let commits = rowCommits
            let log = env.log
            commits.begin(id)
            orderedStore.enqueueRun(record) { result in
                var failure: String?
                if case .failure(let error) = result {
                    failure = "\(error)"
                    log(EngineLogEntry(.error, "state store: cannot record run \(id) in the history: \(error)"))
                }
                commits.end(id, error: failure)
            }
            return
        }
        let previous = rowWrites[id]?.task
        rowWriteGeneration += 1
        let generation = rowWriteGeneration
        let store = env.store
        let task = Task(executorPreference: taskExecutor) {
            await previous?.value
            do {
                _ = try await store.saveRun(record)
            } catch {
                await self.rowWriteFailed(id, error)
            }
            await self.rowWritten(id, generation: generation)
        }
        rowWrites[id] = (generation, task)
    }

    private func rowWriteFailed(_ id: Int, _ error: any Error) {
        rowWriteErrors[id] = "\(error)"
        log(.error, "state store: cannot record run \(id) in the history: \(error)")
    }

    /// The last write of a run that is over (dropped from the queue) is forgotten once done; a live
    /// run's writes are forgotten when it ends.
    private func rowWritten(_ id: Int, generation: Int) {
        guard rowWrites[id]?.generation == generation, runs.tickets[id] == nil, runTasks[id] == nil else { return }
        rowWrites[id] = nil
        rowWriteErrors[id] = nil
    }

    /// Waits until every history write of run `id` so far is committed; the error when one failed.
    func rowCommitted(_ id: Int) async -> String? {
        if orderedStore != nil { return await rowCommits.wait(id) }
        await rowWrites[id]?.task.value
        return rowWriteErrors[id]
    }

    /// Forgets the write chain of a run whose rows are all written.
    private func forgetRowWrites(_ id: Int) {
        rowWrites[id] = nil
        rowWriteErrors[id] = nil
        rowCommits.forget(id)
    }

    /// Waits for a run's end.
    func waitForRun(_ id: Int) async -> (RunOutcome, String?) {
        runs.waiterExpected.remove(id)
        if let ended = runs.endedBeforeTheirWaiter.removeValue(forKey: id) { return ended }
        guard runs.tickets[id] != nil else { return (.interrupted, "run \(id) is not known") }
        let task = runTask(id)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { runs.waiters[id, default: []].append($0) }
        } onCancel: {
            task?.cancel()
        }
    }

    private func runTask(_ id: Int) -> Task<Void, Never>? { runTasks[id] }

    /// Asks a running run to end; the first reason given is the one recorded.
    func cancelRun(_ id: Int, _ outcome: RunOutcome, _ reason: String) {
        guard let task = runTasks[id] else { return }
        if cancelReasons[id] == nil { cancelReasons[id] = (outcome, reason) }
        task.cancel()
    }

    /// Drops a queued run: its history row ends with `outcome`, its waiters learn why.
    func dropQueuedRun(_ id: Int, _ outcome: RunOutcome, _ reason: String) {
        guard let ticket = runs.dropQueued(id) else { return }
        log(.info, "routine \(ticket.routine.name): queued run \(id) dropped: \(reason)")
        let now = env.wallClock.now()
        writeRow(
            RunRecord(
                id: Int64(id), routine: ticket.routine.name, trigger: ticket.trigger, startedAt: ticket.admittedAt,
                endedAt: now, outcome: outcome.rawValue, error: reason))
        completeWaiters(id, outcome, reason)
        if let key = ticket.idleKey { idleRunEnded(key) }
    }

    private func completeWaiters(_ id: Int, _ outcome: RunOutcome, _ error: String?) {
        if runs.waiterExpected.remove(id) != nil { runs.endedBeforeTheirWaiter[id] = (outcome, error) }
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
        env.changes(.routine(name))
        var record = RunRecord(
            id: Int64(ticket.id), routine: name, trigger: ticket.trigger, startedAt: ticket.admittedAt,
            outcome: "running")
        if ticket.wasQueued {
            // A queued run that starts now (its row said `queued`).
            record.startedAt = startedAt
            writeRow(record)
        }
        log(.info, "routine \(name): started (\(ticket.trigger))")
        var outcome = RunOutcome.success
        var failure: String?
        for (index, action) in ticket.routine.actions.enumerated() {
            if Task.isCancelled {
                (outcome, failure) = cancelReasons[ticket.id] ?? (.cancelled, "the run was cancelled")
                break
            }
            var step = RunStep(index: index, kind: action.kind.label, startedAt: env.wallClock.now())
            do {
                step.note = try await perform(action.kind, in: ticket)
            } catch let stop as OutputStopped {
                step.error = stop.reason
                (outcome, failure) = (.cancelled, "actions[\(index)] (\(action.kind.label)): \(stop.reason)")
            } catch {
                if Task.isCancelled || error is CancellationError {
                    (outcome, failure) = cancelReasons[ticket.id] ?? (.cancelled, "the run was cancelled")
                    step.error = failure
                } else {
                    let message = "actions[\(index)] (\(action.kind.label)): \(Self.sentence(error))"
                    step.error = Self.sentence(error)
                    if action.continueOnError {
                        log(.warning, "routine \(name): \(message); continuing (continueOnError)")
                    } else {
                        outcome = .failed
                        failure = message
                    }
                }
            }
            step.endedAt = env.wallClock.now()
            record.steps.append(step)
            if outcome != .success { break }
        }
        record.endedAt = env.wallClock.now()
        record.outcome = outcome.rawValue
        record.error = failure
        // The terminal row, never cancelled with the run: a cancelled run is still recorded.
        writeRow(record)
        _ = await rowCommitted(ticket.id)
        forgetRowWrites(ticket.id)
        cancelReasons[ticket.id] = nil
        Counter(label: "routines_runs_total", dimensions: [("routine", name), ("outcome", outcome.rawValue)])
            .increment()
        log(
            outcome == .failed ? .error : .info,
            "routine \(name): \(outcome.rawValue)\(failure.map { ": \($0)" } ?? "")")
        finish(ticket, outcome, failure)
    }

    /// An error as a sentence for logs and history: the message of our own errors, a description
    /// for others, never a bare type name.
    static func sentence(_ error: any Error) -> String {
        if error is CancellationError { return "cancelled" }
        let text = "\(error)"
        if text.hasSuffix("()") || text == String(describing: type(of: error)) {
            return "\(String(describing: type(of: error))) (no description)"
        }
        return text
    }

    private func finish(_ ticket: RunTicket, _ outcome: RunOutcome, _ error: String?) {
        lastOutcomes[ticket.routine.name] = outcome
        runTasks[ticket.id] = nil
        runStarts[ticket.id] = nil
        completeWaiters(ticket.id, outcome, error)
        if let next = runs.finish(ticket.id) {
            if stopping {
                runs.forget(next.id)
                dropStartedButUnrun(next)
            } else {
                startTask(next)
            }
        }
        if let key = ticket.idleKey { idleRunEnded(key) }
        env.changes(.routine(ticket.routine.name))
        if !stopping {
            raise(Event("routine.finished", ["routine": ticket.routine.name, "outcome": outcome.rawValue]))
        }
    }

    /// A queued run promoted while the daemon stops: it never runs.
    private func dropStartedButUnrun(_ ticket: RunTicket) {
        writeRow(
            RunRecord(
                id: Int64(ticket.id), routine: ticket.routine.name, trigger: ticket.trigger,
                startedAt: ticket.admittedAt,
                endedAt: env.wallClock.now(), outcome: RunOutcome.interrupted.rawValue,
                error: "the daemon stopped before the run started"))
        completeWaiters(ticket.id, .interrupted, "the daemon stopped before the run started")
    }

    // MARK: Actions

    /// Runs one action; returns a note for the history when it went differently without failing.
    private func perform(_ kind: ActionKind, in ticket: RunTicket) async throws -> String? {
        switch kind {
        case .play(let spec):
            let file = try env.audioFiles.open(spec.file)
            try await play([.file(file, gain: spec.gain)], explicit: spec.output, priority: .normal)
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
        case .publish(let spec):
            try await publish(spec, in: ticket)
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
        if case .file(let chime) = spec.chime { items.append(.file(try env.audioFiles.open(chime), gain: 0)) }
        items.append(.speech(speech))
        try await play(items, on: output, priority: .announcement, implicit: spec.output == nil)
        played = true
        if let first = speech.firstChunkAt {
            log(
                .debug,
                "output '\(output)': first speech chunk at \(Self.microseconds(first))")
        }
        if let reason = speech.fallbackReason {
            log(.warning, "announcement on \(output): \(reason)")
            return reason
        }
        return nil
    }

    private func play(_ items: [AudioItem], explicit: String?, priority: AudioPriority) async throws {
        try await play(
            items, on: router.output(explicit: explicit, headphoneMode: headphoneMode), priority: priority,
            implicit: explicit == nil)
    }

    /// Plays through the audio layer; the output counts as busy meanwhile, and its idle clock moves
    /// (and is persisted) when the call returns. `implicit`: routed by headphone mode (no `output`
    /// named), so switching headphone mode away from `output` stops it.
    ///
    /// The audio call runs in a child task the engine can cancel on its own (`stopAudio(on:)`) when
    /// the output turns inactive; cancelling the run cancels it too. Either way the player drops the
    /// job within one 50 ms block.
    func play(_ items: [AudioItem], on output: String, priority: AudioPriority, implicit: Bool = false) async throws {
        idle.playStarted(output, keepAlive: priority == .keepAlive, at: mono.now)
        cancelIdleTimer(output)
        var wrote = false
        let playID = nextPlayID
        nextPlayID += 1
        defer {
            activePlays[playID] = nil
            idle.playEnded(output, wrote: wrote, keepAlive: priority == .keepAlive, at: mono.now)
            rearmIdleTimer(output)
            env.changes(.output(output))
        }
        let audio = env.audio
        let task = Task(executorPreference: taskExecutor) {
            try await audio.play(items, on: output, priority: priority)
        }
        activePlays[playID] = ActivePlay(output: output, implicit: implicit, task: task)
        do {
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            wrote = true
        } catch {
            if let stopped = error as? PlaybackCancelled {
                wrote = stopped.framesWritten > 0
            } else {
                wrote = error is CancellationError
            }
            if let reason = activePlays[playID]?.stopReason { throw OutputStopped(reason: reason) }
            if error is PlaybackCancelled { throw CancellationError() }
            throw error
        }
        try? await env.store.setLastFire(IdleClocks.storeKey(output), env.wallClock.now())
    }

    /// Stops the audio playing or queued on `output` (every play, or only the implicitly routed
    /// ones); the runs that wait for it end `cancelled` with `reason`.
    func stopAudio(on output: String, onlyImplicit: Bool = false, reason: String) {
        for (id, play) in activePlays where play.output == output && (!onlyImplicit || play.implicit) {
            guard play.stopReason == nil else { continue }
            activePlays[id]?.stopReason = reason
            play.task.cancel()
        }
    }

    /// `publish`: renders placeholders in the topic and in the payload's strings, then hands the
    /// message to the publisher.
    private func publish(_ spec: PublishSpec, in ticket: RunTicket) async throws {
        guard let publisher = env.publisher else {
            throw EngineError(
                "cannot publish to \(spec.topic): MQTT is not configured (add \"mqtt\": {\"url\": \"mqtt://HOST:1883\"} to the config)"
            )
        }
        let renderer = templates(for: ticket)
        let topic = renderer.render(spec.topic)
        if let problem = MQTTTopic.nameProblem(topic) {
            throw EngineError("cannot publish to '\(topic)' (from '\(spec.topic)'): \(problem)")
        }
        let payload: String
        switch spec.payload {
        case nil: payload = ""
        case .string(let text)?: payload = renderer.render(text)
        case let value?: payload = JSONText.value(renderer.render(value))
        }
        try await publisher.publish(topic: topic, payload: Array(payload.utf8), qos: spec.qos, retain: spec.retain)
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
            target, trigger: "run:\(ticket.routine.name)", eventData: [:], checkConditions: false, force: true,
            chain: ticket.chain)
        {
        case .failure(let error): throw error
        case .success(let id):
            let (outcome, error) = await waitForRun(id)
            try Task.checkCancellation()
            switch outcome {
            case .success: return
            case .failed: throw EngineError("routine \(target) failed: \(error ?? "no reason given")")
            case .cancelled, .skipped:
                throw EngineError("routine \(target) was cancelled: \(error ?? "no reason given")")
            case .interrupted: throw EngineError("routine \(target) was interrupted: \(error ?? "the daemon stopped")")
            }
        }
    }

    /// `voice`: the announcement's, for times, dates and weekdays in its language (English otherwise).
    func templates(for ticket: RunTicket, voice: String = "en") -> TemplateRenderer {
        TemplateRenderer(
            local: env.localTime.localTime(env.wallClock.now()), clock: config.clock, routine: ticket.routine.name,
            headphoneMode: headphoneMode, eventData: ticket.eventData, dates: env.dates, voice: voice)
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
        case .publish: return "publish"
        }
    }
}

/// One audio call in flight, so the engine can stop an output's audio without ending other work.
struct ActivePlay {
    var output: String
    /// Routed by headphone mode rather than named.
    var implicit: Bool
    var task: Task<Void, any Error>
    /// Set when the engine stopped it (the output turned inactive, headphone mode moved away).
    var stopReason: String?
}

/// The engine stopped an action's audio because its output went away; the run ends `cancelled`.
struct OutputStopped: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

extension Engine {
    /// Seconds since the epoch with 6 decimals (`1767225600.123456`), for latency logs.
    static func microseconds(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1e6).rounded())
        let fraction = String(total % 1_000_000)
        return "\(total / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
