import CoreMetrics
import Engine
import Foundation
import RoutineModel
import SystemIO

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
public final class OutputPlayer: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`; the PCM is touched only by the thread.
    public let output: String
    public let pcm: String
    let rate: Int
    let channels: Int
    let configFile: String?
    let linger: Double
    let onWrite: @Sendable (String) -> Void
    let onAvailability: @Sendable (String, Bool, String?) -> Void
    /// Called on the player thread when a job's first block has been written (for latency logs).
    var onFirstFrame: (@Sendable (String) -> Void)?

    private struct Job {
        var id: Int
        var items: [AudioItem]
        var priority: AudioPriority
        var sequence: Int
        /// The run's start, when this is the run's first audio job (trigger-to-first-frame metric).
        var runStart: ContinuousClock.Instant?
        var done: CheckedContinuation<Void, Error>
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var sequence = 0
    /// The job being played and whether it was cancelled (guarded by `condition`).
    private var playingID: Int?
    private var playingCancelled = false
    /// Speech streams of the playing job: a cancel wakes a player that waits for the next chunk.
    private var playingSpeech: [SpeechStream] = []
    /// How far ahead of real time a fast device may be fed.
    let maxLead: Double
    private var started = false
    private var held = false
    /// Renders items (and caches the last keep-alive burst). Player thread only.
    private let renderer: ItemRenderer
    /// When the engine last heard of a write (player thread only).
    private var lastWriteReport: ContinuousClock.Instant?
    private let burstCounter: Counter
    private let errorCounter: Counter
    /// Trigger (run start) to the first frame of the run's first audio job.
    private let firstFrameTimer: CoreMetrics.Timer

    public init(
        output: String, pcm: String, rate: Int = 48_000, channels: Int = 2, configFile: String? = nil,
        linger: Double = 2, maxLead: Double = 0.1, onWrite: @escaping @Sendable (String) -> Void = { _ in },
        onAvailability: @escaping @Sendable (String, Bool, String?) -> Void = { _, _, _ in }
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
        renderer = ItemRenderer(output: output, target: pcm, rate: rate, channels: channels)
        burstCounter = Counter(label: "routines_keepalive_bursts_total", dimensions: [("output", output)])
        errorCounter = Counter(label: "routines_alsa_errors_total", dimensions: [("output", output)])
        firstFrameTimer = CoreMetrics.Timer(
            label: "routines_trigger_to_first_frame_seconds", dimensions: [("output", output)])
    }

    /// Plays `items` back to back; returns when the last frame was written. `runStart`: the run's
    /// start when this is its first audio (recorded as trigger-to-first-frame latency). Cancelling the
    /// calling task stops the job (see the type's comment) and throws `PlaybackCancelled`.
    public func play(_ items: [AudioItem], priority: AudioPriority, runStart: ContinuousClock.Instant? = nil)
        async throws
    {
        let id = nextJobID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                condition.lock()
                defer { condition.unlock() }
                if Task.isCancelled {
                    continuation.resume(throwing: PlaybackCancelled(output: output, framesWritten: 0))
                    return
                }
                queue.append(
                    Job(id: id, items: items, priority: priority, sequence: id, runStart: runStart, done: continuation))
                if !started {
                    started = true
                    let thread = Thread { [self] in
                        CurrentThread.setName("routines-audio")  // as ps and top show it
                        run()
                    }
                    thread.name = "routines-audio-\(output)"
                    thread.start()
                }
                condition.signal()
            }
        } onCancel: {
            cancel(id)
        }
    }

    private func nextJobID() -> Int {
        condition.lock()
        defer { condition.unlock() }
        sequence += 1
        return sequence
    }

    /// A queued job leaves the queue now; a playing one is flagged and stops after its current block.
    private func cancel(_ id: Int) {
        condition.lock()
        defer { condition.unlock() }
        if let index = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: index).done.resume(throwing: PlaybackCancelled(output: output, framesWritten: 0))
        } else if playingID == id {
            playingCancelled = true
            for stream in playingSpeech { stream.cancel() }
            condition.broadcast()
        }
    }

    /// Whether the playing job was cancelled.
    private var currentCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return playingCancelled
    }

    /// Waits until `deadline` (pacing) or until the playing job is cancelled; true when cancelled.
    private func pause(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !playingCancelled {
            if !condition.wait(until: deadline) { break }
        }
        return playingCancelled
    }

    /// Holds the queue (jobs wait) until `release()`; lets tests queue several jobs deterministically.
    func hold() {
        condition.lock()
        held = true
        condition.unlock()
    }

    /// Lets queued jobs play again.
    func release() {
        condition.lock()
        held = false
        condition.broadcast()
        condition.unlock()
    }

    /// Jobs waiting.
    var queuedJobs: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
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

    private func nextJob(wait: Double?) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = wait.map { Date().addingTimeInterval($0) }
        while queue.isEmpty || held {
            if let deadline {
                if !condition.wait(until: deadline) && (queue.isEmpty || held) { return nil }
            } else {
                condition.wait()
            }
        }
        // Highest priority first; first come first served within a priority.
        let index = queue.indices.max { a, b in
            (queue[a].priority, -queue[a].sequence) < (queue[b].priority, -queue[b].sequence)
        }!
        let job = queue.remove(at: index)
        playingID = job.id
        playingCancelled = false
        playingSpeech = job.items.compactMap {
            if case .speech(let stream) = $0 { return stream }
            return nil
        }
        return job
    }

    /// The job is over: later cancels of its id do nothing.
    private func endJob() {
        condition.lock()
        playingID = nil
        playingCancelled = false
        playingSpeech = []
        condition.unlock()
    }

    private func run() {
        var device: PCMDevice?
        var lastOpenError: String?
        while true {
            guard let job = nextJob(wait: device == nil ? nil : linger) else {
                // Lingered long enough without work.
                device?.drain()
                device?.close()
                device = nil
                continue
            }
            do {
                if device == nil {
                    do {
                        device = try PCMDevice(
                            output: output, pcm: pcm, rate: rate, channels: channels, configFile: configFile)
                        if lastOpenError != nil { onAvailability(output, true, nil) }
                        lastOpenError = nil
                    } catch {
                        // Every failure is reported (the engine plans its next try from it); the
                        // error text only the first time, so the log says it once.
                        onAvailability(output, false, lastOpenError == nil ? error.description : nil)
                        lastOpenError = error.description
                        throw error
                    }
                }
                var progress = Progress(runStart: job.runStart)
                lastWriteReport = nil
                for item in job.items {
                    if case .file(let source, let gain) = item {
                        // Files stream: converted a block ahead of the device, never whole.
                        let stream = try renderer.stream(source, gain: gain)
                        while case let block = try stream.next(maxFrames: rate / 20), !block.isEmpty {
                            try write(block, to: device!, progress: &progress)
                        }
                    } else if case .speech(let speech) = item {
                        try play(speech, to: device!, progress: &progress)
                    } else {
                        try write(try render(item), to: device!, progress: &progress)
                    }
                }
                // A cancel that came while the last item ended (a speech stream it cut short).
                if currentCancelled { throw JobStopped(framesWritten: progress.frames) }
                // The job's last frames: the idle clock starts from here.
                onWrite(output)
                if job.priority == .keepAlive { burstCounter.increment() }
                if linger <= 0 {
                    // No linger: the PCM is closed before the caller hears the job is done.
                    device?.drain()
                    device?.close()
                    device = nil
                }
                endJob()
                job.done.resume()
            } catch let stopped as JobStopped {
                // Cancelled: what the device still holds is dropped, so the sound ends now.
                device?.drop()
                device?.close()
                device = nil
                if stopped.framesWritten > 0 {
                    onWrite(output)
                    if job.priority == .keepAlive { burstCounter.increment() }
                }
                endJob()
                job.done.resume(throwing: PlaybackCancelled(output: output, framesWritten: stopped.framesWritten))
            } catch {
                for case .speech(let speech) in job.items { speech.cancel() }
                if let failure = error as? AudioError, failure.function.hasPrefix("snd_") { errorCounter.increment() }
                device?.close()
                device = nil
                endJob()
                job.done.resume(throwing: error)
            }
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
    private func write(_ samples: [Int16], to device: PCMDevice, progress: inout Progress) throws {
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
            if lastWriteReport.map({ $0.duration(to: now) >= .seconds(1) }) ?? true {
                lastWriteReport = now
                onWrite(output)
            }
            offset = end
            // Pacing: a real device blocks in snd_pcm_writei at its own rate and never gets here
            // ahead; a device that takes audio as fast as it comes is held to real time.
            let played = Double(progress.frames) / Double(rate)
            let elapsed = progress.firstWrite!.duration(to: now)
            let ahead = played - (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            if ahead > maxLead, pause(until: Date().addingTimeInterval(ahead - maxLead)) {
                throw JobStopped(framesWritten: progress.frames)
            }
        }
    }

    /// Speech while it is synthesized: each chunk is converted (one resampler for the whole stream,
    /// so the joins add no seam) and written as soon as it arrives; the player thread waits for the
    /// next chunk in between. A long chunk (a cached utterance comes as one) is converted 50 ms at a
    /// time, so its first block goes out before the rest is converted.
    private func play(
        _ speech: SpeechStream, to device: PCMDevice, progress: inout Progress
    ) throws {
        var converter: StreamConverter?
        while let chunk = try speech.next() {
            if let current = converter, !current.accepts(chunk) {
                try write(try current.finish(), to: device, progress: &progress)
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
                try write(try converter!.convert(Array(chunk.samples[offset..<end])), to: device, progress: &progress)
                offset = end
            }
        }
        if let converter { try write(try converter.finish(), to: device, progress: &progress) }
    }

    /// Renders one item to interleaved Int16 at the output's rate and channel count.
    func render(_ item: AudioItem) throws(AudioError) -> [Int16] { try renderer.render(item) }
}
