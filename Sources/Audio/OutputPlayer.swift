import CoreMetrics
import Engine
import FoundationEssentials
import RoutineModel
import Synchronization
import ThreadExecutor

/// Plays one output's audio on a dedicated thread (real devices block at the real-time rate, so
/// writes never run on Swift's cooperative pool). Jobs are serialized with a priority queue:
/// announcements, then normal audio, then keep-alive bursts; a job's items play back to back. The
/// PCM opens on demand and closes after `linger` without work, so back-to-back jobs reuse it.
///
/// Cancelling the task that awaits `play` removes a queued job at once and stops a playing one
/// between two 50 ms blocks (its queued frames are dropped from the device). A device that accepts
/// audio faster than real time (ALSA's `null` and `file` plugins, some network sinks) is paced: the
/// player stays at most `maxLead` ahead of the wall clock, so "the last frame written", the idle
/// clock and a stop describe sound, not buffering.
public final class OutputPlayer: Sendable {
    public let output: String
    public let pcm: String
    let rate: Int
    let channels: Int
    let configFile: String?
    let linger: Double
    let onWrite: @Sendable (String) -> Void
    let onAvailability: @Sendable (String, Bool, String?) -> Void
    /// Called on the player thread when a job's first block has been written (for latency logs).
    var onFirstFrame: (@Sendable (String) -> Void)? {
        get { firstFrameHook.withLock { $0 } }
        set { firstFrameHook.withLock { $0 = newValue } }
    }
    private let firstFrameHook: Mutex<(@Sendable (String) -> Void)?>

    private struct Job: Sendable {
        var id: Int
        var items: [AudioItem]
        var priority: AudioPriority
        var sequence: Int
        /// The run's start, when this is the run's first audio job (trigger-to-first-frame metric).
        var runStart: ContinuousClock.Instant?
        var done: CheckedContinuation<Void, Error>
    }

    /// What callers and the player thread share: the queue and the playing job's cancel flag.
    private struct Queue: Sendable {
        var jobs: [Job] = []
        var sequence = 0
        /// The job being played and whether it was cancelled.
        var playingID: Int?
        var playingCancelled = false
        /// Speech streams of the playing job: a cancel wakes a player that waits for the next chunk.
        var playingSpeech: [SpeechStream] = []
        var held = false
    }

    private let queue = Mutex(Queue())
    /// The thread every write happens on (it starts with the first job).
    private let executor: DedicatedThreadExecutor
    /// The player thread's own state (the open PCM), pinned to `executor`.
    private let thread: PlayerThread
    /// How far ahead of real time a fast device may be fed.
    let maxLead: Double
    private let burstCounter: Counter
    private let errorCounter: Counter
    /// Trigger (run start) to the first frame of the run's first audio job.
    private let firstFrameTimer: CoreMetrics.Timer

    public init(
        output: String, pcm: String, rate: Int = 48_000, channels: Int = 2, configFile: String? = nil,
        linger: Double = 2, maxLead: Double = 0.1, onWrite: @escaping @Sendable (String) -> Void = { _ in },
        onAvailability: @escaping @Sendable (String, Bool, String?) -> Void = { _, _, _ in },
        onFirstFrame: (@Sendable (String) -> Void)? = nil
    ) {
        self.output = output
        self.pcm = pcm
        self.rate = rate
        self.channels = channels
        self.configFile = configFile
        self.linger = linger
        self.maxLead = maxLead
        self.onWrite = onWrite
        self.onAvailability = onAvailability
        firstFrameHook = Mutex(onFirstFrame)
        executor = DedicatedThreadExecutor(name: "routines-audio")  // as ps and top show it
        thread = PlayerThread(executor: executor, output: output, pcm: pcm, rate: rate, channels: channels)
        burstCounter = Counter(label: "routines_keepalive_bursts_total", dimensions: [("output", output)])
        errorCounter = Counter(label: "routines_alsa_errors_total", dimensions: [("output", output)])
        firstFrameTimer = CoreMetrics.Timer(
            label: "routines_trigger_to_first_frame_seconds", dimensions: [("output", output)])
    }

    deinit {
        // Work on the thread holds the player, so none is left: the thread ends (the PCM closes
        // with its state).
        executor.shutdown(waiting: false)
    }

    /// Plays `items` back to back; returns when the last frame was written. `runStart`: the run's
    /// start when this is its first audio (recorded as trigger-to-first-frame latency). Cancelling the
    /// calling task stops the job (see the type's comment) and throws `PlaybackCancelled`.
    public func play(_ items: [AudioItem], priority: AudioPriority, runStart: ContinuousClock.Instant? = nil)
        async throws
    {
        let id = queue.withLock { queue in
            queue.sequence += 1
            return queue.sequence
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let job = Job(
                    id: id, items: items, priority: priority, sequence: id, runStart: runStart, done: continuation)
                let queued = queue.withLock { queue in
                    if Task.isCancelled { return false }
                    queue.jobs.append(job)
                    return true
                }
                guard queued else {
                    continuation.resume(throwing: PlaybackCancelled(output: output, framesWritten: 0))
                    return
                }
                playQueuedJobs()
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// A queued job leaves the queue now; a playing one is flagged and stops after its current block.
    private func cancel(_ id: Int) {
        let (removed, playing) = queue.withLock { queue -> (Job?, [SpeechStream]?) in
            if let index = queue.jobs.firstIndex(where: { $0.id == id }) { return (queue.jobs.remove(at: index), nil) }
            guard queue.playingID == id else { return (nil, nil) }
            queue.playingCancelled = true
            return (nil, queue.playingSpeech)
        }
        removed?.done.resume(throwing: PlaybackCancelled(output: output, framesWritten: 0))
        if let playing {
            for stream in playing { stream.cancel() }
            executor.unpark()  // a player pacing a fast device stops waiting
        }
    }

    /// Whether the playing job was cancelled.
    private var currentCancelled: Bool {
        queue.withLock { $0.playingCancelled }
    }

    /// Waits until `deadline` (pacing) or until the playing job is cancelled; true when cancelled.
    private func pause(until deadline: ContinuousClock.Instant) -> Bool {
        while !currentCancelled && ContinuousClock.now < deadline {
            executor.park(until: deadline)
        }
        return currentCancelled
    }

    /// Holds the queue (jobs wait) until `release()`; lets tests queue several jobs deterministically.
    func hold() {
        queue.withLock { $0.held = true }
    }

    /// Lets queued jobs play again.
    func release() {
        queue.withLock { $0.held = false }
        playQueuedJobs()
    }

    /// Jobs waiting.
    var queuedJobs: Int {
        queue.withLock { $0.jobs.count }
    }

    /// Whether the PCM opens now (for `routines outputs`); closes it again at once.
    public func testOpen() -> String? {
        do {
            let device = try PCMDevice(output: output, pcm: pcm, rate: rate, channels: channels, configFile: configFile)
            device.close()
            return nil
        } catch {
            return error.description
        }
    }

    /// The highest-priority queued job (first come first served within a priority), now playing;
    /// nil when none waits or the queue is held.
    private func nextJob() -> Job? {
        queue.withLock { queue in
            guard !queue.jobs.isEmpty, !queue.held else { return nil }
            let index = queue.jobs.indices.max { a, b in
                (queue.jobs[a].priority, -queue.jobs[a].sequence) < (queue.jobs[b].priority, -queue.jobs[b].sequence)
            }!
            let job = queue.jobs.remove(at: index)
            queue.playingID = job.id
            queue.playingCancelled = false
            queue.playingSpeech = job.items.compactMap {
                if case .speech(let stream) = $0 { return stream }
                return nil
            }
            return job
        }
    }

    /// The job is over: later cancels of its id do nothing.
    private func endJob() {
        queue.withLock { queue in
            queue.playingID = nil
            queue.playingCancelled = false
            queue.playingSpeech = []
        }
    }

    // MARK: Player thread

    /// Has the player thread play what is queued.
    private func playQueuedJobs() {
        executor.execute { [self] in
            thread.assumeIsolated { thread in playQueued(on: thread) }
        }
    }

    /// Plays queued jobs until none is left (or the queue is held), then closes the PCM after
    /// `linger` without work.
    private func playQueued(on thread: isolated PlayerThread) {
        while let job = nextJob() {
            if let lingering = thread.lingering {
                executor.cancel(lingering.close)
                thread.lingering = nil
            }
            play(job, on: thread)
        }
        guard thread.device != nil, thread.lingering == nil else { return }
        let token = LingerToken()
        let close = executor.schedule(after: .seconds(linger)) { [self] in
            self.thread.assumeIsolated { thread in
                // Lingered long enough without work (no job started since).
                guard thread.lingering?.token === token else { return }
                thread.lingering = nil
                thread.device?.drain()
                thread.device?.close()
                thread.device = nil
            }
        }
        thread.lingering = (token, close)
    }

    private func play(_ job: Job, on thread: isolated PlayerThread) {
        do {
            if thread.device == nil {
                do {
                    thread.device = try PCMDevice(
                        output: output, pcm: pcm, rate: rate, channels: channels, configFile: configFile)
                    if thread.lastOpenError != nil { onAvailability(output, true, nil) }
                    thread.lastOpenError = nil
                } catch {
                    // Every failure is reported (the engine plans its next try from it); the
                    // error text only the first time, so the log says it once.
                    onAvailability(output, false, thread.lastOpenError == nil ? error.description : nil)
                    thread.lastOpenError = error.description
                    throw error
                }
            }
            let device = thread.device!
            var progress = Progress(runStart: job.runStart)
            thread.lastWriteReport = nil
            for item in job.items {
                if case .file(let source, let gain) = item {
                    // Files stream: converted a block ahead of the device, never whole.
                    let stream = try thread.renderer.stream(source, gain: gain)
                    while case let block = try stream.next(maxFrames: rate / 20), !block.isEmpty {
                        try write(block, to: device, progress: &progress, on: thread)
                    }
                } else if case .speech(let speech) = item {
                    try play(speech, to: device, progress: &progress, on: thread)
                } else {
                    try write(try thread.renderer.render(item), to: device, progress: &progress, on: thread)
                }
            }
            // A cancel that came while the last item ended (a speech stream it cut short).
            if currentCancelled { throw JobStopped(framesWritten: progress.frames) }
            // The job's last frames: the idle clock starts from here.
            onWrite(output)
            if job.priority == .keepAlive { burstCounter.increment() }
            if linger <= 0 {
                // No linger: the PCM is closed before the caller hears the job is done.
                thread.device?.drain()
                thread.device?.close()
                thread.device = nil
            }
            endJob()
            job.done.resume()
        } catch let stopped as JobStopped {
            // Cancelled: what the device still holds is dropped, so the sound ends now.
            thread.device?.drop()
            thread.device?.close()
            thread.device = nil
            if stopped.framesWritten > 0 {
                onWrite(output)
                if job.priority == .keepAlive { burstCounter.increment() }
            }
            endJob()
            job.done.resume(throwing: PlaybackCancelled(output: output, framesWritten: stopped.framesWritten))
        } catch {
            for case .speech(let speech) in job.items { speech.cancel() }
            if let failure = error as? AudioError, failure.function.hasPrefix("snd_") { errorCounter.increment() }
            thread.device?.close()
            thread.device = nil
            endJob()
            job.done.resume(throwing: error)
        }
    }

    /// How far a job got: frames written and when its first block went out (for pacing).
    private struct Progress {
        var runStart: ContinuousClock.Instant?
        var frames = 0
        var firstWrite: ContinuousClock.Instant?
    }

    /// Thrown inside the player thread when the playing job was cancelled.
    private struct JobStopped: Error {
        var framesWritten: Int
    }

    /// Writes in blocks of 50 ms so the idle clock moves as audio goes out; between blocks it stops
    /// when the job was cancelled, and waits when a fast device got more than `maxLead` ahead.
    private func write(
        _ samples: [Int16], to device: PCMDevice, progress: inout Progress, on thread: isolated PlayerThread
    ) throws {
        let block = rate / 20 * channels
        var offset = 0
        while offset < samples.count {
            if currentCancelled { throw JobStopped(framesWritten: progress.frames) }
            let end = min(samples.count, offset + block)
            var failure: AudioError?
            samples.withUnsafeBufferPointer { buffer in
                do throws(AudioError) {
                    try device.write(UnsafeBufferPointer(rebasing: buffer[offset..<end]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            let now = ContinuousClock.now
            progress.frames += (end - offset) / channels
            if progress.firstWrite == nil {
                progress.firstWrite = now
                if let runStart = progress.runStart {
                    let elapsed = now - runStart
                    firstFrameTimer.recordNanoseconds(
                        elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                }
                onFirstFrame?(output)
            }
            // The engine hears of writes at most once a second while a job plays (and once at its end):
            // it holds the output busy for the whole play call anyway, so per-block reports only cost
            // a task hop every 50 ms.
            if thread.lastWriteReport.map({ $0.duration(to: now) >= .seconds(1) }) ?? true {
                thread.lastWriteReport = now
                onWrite(output)
            }
            offset = end
            // Pacing: a real device blocks in snd_pcm_writei at its own rate and never gets here
            // ahead; a device that takes audio as fast as it comes is held to real time.
            let played = Double(progress.frames) / Double(rate)
            let elapsed = progress.firstWrite!.duration(to: now)
            let ahead = played - (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            if ahead > maxLead, pause(until: .now + .seconds(ahead - maxLead)) {
                throw JobStopped(framesWritten: progress.frames)
            }
        }
    }

    /// Speech while it is synthesized: each chunk is converted (one resampler for the whole stream,
    /// so the joins add no seam) and written as soon as it arrives; the player thread waits for the
    /// next chunk in between. A long chunk (a cached utterance comes as one) is converted 50 ms at a
    /// time, so its first block goes out before the rest is converted.
    private func play(
        _ speech: SpeechStream, to device: PCMDevice, progress: inout Progress, on thread: isolated PlayerThread
    ) throws {
        var converter: StreamConverter?
        while let chunk = try speech.next() {
            if let current = converter, !current.accepts(chunk) {
                try write(try current.finish(), to: device, progress: &progress, on: thread)
                converter = nil
            }
            if converter == nil {
                converter = try StreamConverter(
                    sourceRate: chunk.sampleRate, sourceChannels: chunk.channels, rate: rate, channels: channels,
                    output: output, pcm: pcm)
            }
            let block = max(1, chunk.sampleRate / 20) * max(1, chunk.channels)
            var offset = 0
            while offset < chunk.samples.count {
                let end = min(chunk.samples.count, offset + block)
                try write(
                    try converter!.convert(Array(chunk.samples[offset..<end])), to: device, progress: &progress,
                    on: thread)
                offset = end
            }
        }
        if let converter { try write(try converter.finish(), to: device, progress: &progress, on: thread) }
    }
}

/// What only an output's player thread touches: the open PCM, the renderer, the linger timer. An
/// actor pinned to the player's thread, so the C handle is confined to it without a lock.
private actor PlayerThread {
    let executor: DedicatedThreadExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    var device: PCMDevice?
    var lastOpenError: String?
    /// When the engine last heard of a write.
    var lastWriteReport: ContinuousClock.Instant?
    /// The pending close after `linger` without work (a job cancels it).
    var lingering: (token: LingerToken, close: DedicatedThreadExecutor.ScheduledWork)?
    /// Renders items (and caches the last keep-alive burst).
    let renderer: ItemRenderer

    init(executor: DedicatedThreadExecutor, output: String, pcm: String, rate: Int, channels: Int) {
        self.executor = executor
        renderer = ItemRenderer(output: output, target: pcm, rate: rate, channels: channels)
    }
}

/// Identifies one scheduled linger close (one that was cancelled may already be on its way).
private final class LingerToken: Sendable {}
