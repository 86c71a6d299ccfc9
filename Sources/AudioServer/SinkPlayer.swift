import Audio
import CPulse
import CoreMetrics
import Engine
import FoundationEssentials
import SystemIO
import ThreadExecutor

/// Plays one sink output's audio as a libpulse playback stream on that sink (PipeWire through
/// pipewire-pulse, or PulseAudio), on the audio server's loop thread: event driven, the server asks
/// for data and the player writes it. Jobs are serialized with the same priorities as the ALSA
/// player: announcements, then normal audio, then keep-alive bursts. A keep-alive burst does not
/// start while another program plays into the sink (it is skipped: the device is kept awake
/// anyway).
///
/// The stream is kept connected and corked while the sink exists: opened as soon as the sink is
/// there, corked after each job, uncorked (after the job's first block is written) for the next.
/// A corked stream costs nothing while idle (the server sends nothing, the sink still suspends),
/// and a job skips the stream's creation and the session manager linking it to the sink, which
/// on PipeWire took about two of the graph's cycles before the first frame.
public final class SinkPlayer: @unchecked Sendable {
    // @unchecked: `nextID` is guarded by `lock`; everything else is confined to the loop thread.
    public let output: String
    public let sink: String
    let server: AudioServer
    let onWrite: @Sendable (String) -> Void
    /// Called on the loop thread when a job's first block was handed to the server.
    var onFirstFrame: (@Sendable (String) -> Void)?
    let rate = 48_000
    let channels = 2

    private struct Job {
        var id: Int
        var items: [AudioItem]
        var priority: AudioPriority
        var runStart: ContinuousClock.Instant?
        var done: CheckedContinuation<Void, Error>
    }

    /// The job being played: where it is in its items.
    private struct Playing {
        var job: Job
        var item = 0
        var buffer: [Int16] = []
        var offset = 0
        var file: SoundFileStream?
        /// The speech item being played while it is synthesized: its reader thread hands the chunks
        /// over (`speechChunk`, `speechEnded`); one converter for the whole utterance.
        var speech: SpeechStream?
        var speechChunks: [PCMSamples] = []
        var speechEnded = false
        var speechError: SpeechFailure?
        var converter: StreamConverter?
        var first = true
        var draining = false
    }

    /// What `refill` found.
    private enum Refill {
        case block
        /// Speech whose next chunk is still being synthesized: nothing to write until it arrives.
        case waiting
        case end
    }

    private let lock = ThreadCondition()
    private var nextID = 1
    private var queue: [Job] = []
    private var cancelled: Set<Int> = []
    private var current: Playing?
    /// The stream, through the handle its callbacks reach the player by.
    private var handle: StreamHandle?
    private var stream: OpaquePointer? { handle?.stream }
    private var streamReady = false
    /// Whether the stream is corked (asked to be; the server follows in order).
    private var corked = false
    /// Whether the sink could be played to at the last server change (a new sink gets a stream).
    private var playable = false
    private var lastWriteReport: ContinuousClock.Instant?
    private let renderer: ItemRenderer
    private let burstCounter: Counter
    private let errorCounter: Counter
    private let firstFrameTimer: CoreMetrics.Timer

    public init(
        output: String, sink: String, server: AudioServer,
        onWrite: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.output = output
        self.sink = sink
        self.server = server
        self.onWrite = onWrite
        renderer = ItemRenderer(output: output, target: sink, rate: rate, channels: channels)
        burstCounter = Counter(label: "routines_keepalive_bursts_total", dimensions: [("output", output)])
        errorCounter = Counter(label: "routines_audio_server_errors_total", dimensions: [("output", output)])
        firstFrameTimer = CoreMetrics.Timer(
            label: "routines_trigger_to_first_frame_seconds", dimensions: [("output", output)])
        server.loop.perform { [self] in
            server.onChange.append { [weak self] in self?.serverChanged() }
            serverChanged()  // a player made after the server connected gets its stream now
        }
    }

    deinit {
        // The stream outlives jobs (it waits corked): it closes on the loop thread, which alone
        // touches libpulse; until then its callbacks find no player.
        if let handle {
            server.loop.perform { handle.close() }
        }
    }

    /// Plays `items` back to back; returns when the server played the last frame (the stream
    /// drained). Cancelling the calling task removes the job or stops it where it is.
    public func play(_ items: [AudioItem], priority: AudioPriority, runStart: ContinuousClock.Instant? = nil)
        async throws
    {
        let id = lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let accepted = server.loop.perform { [self] in
                    enqueue(Job(id: id, items: items, priority: priority, runStart: runStart, done: continuation))
                }
                if !accepted {
                    continuation.resume(
                        throwing: failure("pa_stream_connect_playback", AudioServer.closed))
                }
            }
        } onCancel: {
            server.loop.perform { [self] in cancel(id) }
        }
    }

    /// Sets the sink's volume (0–100 % of the server's normal volume).
    public func setVolume(_ level: Int) async throws {
        let result: Result<Void, AudioServerError> = await withCheckedContinuation { continuation in
            let accepted = server.loop.perform { [self] in
                if let problem = server.playProblem(sink: sink) {
                    continuation.resume(returning: .failure(failure("pa_context_set_sink_volume_by_name", problem)))
                    return
                }
                var volume = pa_cvolume()
                let channels = UInt32(max(1, server.sink(named: sink)?.channels ?? 2))
                pa_cvolume_set(&volume, channels, pa_volume_t(UInt64(PA_VOLUME_NORM) * UInt64(level) / 100))
                if let operation = pa_context_set_sink_volume_by_name(server.context, sink, &volume, nil, nil) {
                    pa_operation_unref(operation)
                }
                continuation.resume(returning: .success(()))
            }
            if !accepted {
                continuation.resume(
                    returning: .failure(failure("pa_context_set_sink_volume_by_name", AudioServer.closed)))
            }
        }
        try result.get()
    }

    /// Whether the sink can be played to now (for `routines outputs`): nil when it can, else why not.
    public func check() async -> String? {
        await withCheckedContinuation { continuation in
            let accepted = server.loop.perform { [self] in
                continuation.resume(returning: server.playProblem(sink: sink))
            }
            if !accepted { continuation.resume(returning: AudioServer.closed) }
        }
    }

    // MARK: Loop thread

    private func enqueue(_ job: Job) {
        if cancelled.remove(job.id) != nil {
            Self.cancelSpeech(job)
            job.done.resume(throwing: CancellationError())
            return
        }
        queue.append(job)
        startNext()
    }

    private func cancel(_ id: Int) {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            let job = queue.remove(at: index)
            Self.cancelSpeech(job)
            job.done.resume(throwing: CancellationError())
        } else if current?.job.id == id {
            // Stop where it is: what the server holds is dropped, the stream stays for the next job.
            if let stream, streamReady, let operation = pa_stream_flush(stream, nil, nil) {
                pa_operation_unref(operation)
            }
            finish(CancellationError())
        } else {
            cancelled.insert(id)
        }
    }

    private func startNext() {
        guard current == nil else { return }
        guard !queue.isEmpty else {
            // Nothing more to play: the stream stays, corked, ready for the next job.
            setCorked(true)
            return
        }
        // Highest priority first; first come first served within a priority.
        let index = queue.indices.max { a, b in
            (queue[a].priority, -queue[a].id) < (queue[b].priority, -queue[b].id)
        }!
        let job = queue.remove(at: index)
        if let problem = server.playProblem(sink: sink) {
            Self.cancelSpeech(job)
            job.done.resume(throwing: failure("pa_stream_connect_playback", problem))
            startNext()
            return
        }
        if job.priority == .keepAlive && server.othersPlaying(sink) {
            // Another program keeps the device awake: a burst now would only play into its audio.
            job.done.resume()
            startNext()
            return
        }
        if job.priority == .keepAlive { burstCounter.increment() }
        current = Playing(job: job)
        lastWriteReport = nil
        if stream == nil {
            openStream(corked: false)
        } else if streamReady {
            start()
        }
    }

    /// Writes the job's first blocks; `pump` uncorks once it wrote some, so the server has the
    /// audio when it starts (speech may come a moment later).
    private func start() {
        pump()
    }

    private func setCorked(_ cork: Bool) {
        guard let stream, streamReady, corked != cork else { return }
        corked = cork
        if let operation = pa_stream_cork(stream, cork ? 1 : 0, nil, nil) { pa_operation_unref(operation) }
    }

    /// Opens the stream, corked, when the sink is there and nothing plays (the next job starts at once).
    private func prepare() {
        guard stream == nil, current == nil, server.playProblem(sink: sink) == nil else { return }
        openStream(corked: true)
    }

    private func openStream(corked startCorked: Bool) {
        var spec = pa_sample_spec(format: PA_SAMPLE_S16LE, rate: UInt32(rate), channels: UInt8(channels))
        guard let context = server.context, let stream = pa_stream_new(context, "routines: \(output)", &spec, nil)
        else {
            finish(failure("pa_stream_new", server.playProblem(sink: sink) ?? "cannot create a stream"))
            return
        }
        let handle = StreamHandle(stream, player: self)
        self.handle = handle
        streamReady = false
        let me = Unmanaged.passUnretained(handle).toOpaque()
        pa_stream_set_state_callback(
            stream,
            { stream, userdata in
                guard let stream, let userdata else { return }
                Unmanaged<StreamHandle>.fromOpaque(userdata).takeUnretainedValue().player?.streamStateChanged(stream)
            }, me)
        pa_stream_set_write_callback(
            stream,
            { stream, _, userdata in
                guard let stream, let userdata,
                    let player = Unmanaged<StreamHandle>.fromOpaque(userdata).takeUnretainedValue().player
                else { return }
                if stream == player.stream { player.pump() }
            }, me)
        // About 40 ms in the server's buffer: short enough for a prompt first frame, long enough that
        // one late wake-up of this thread does not underrun. Playback starts with the first frame
        // written (`prebuf` one frame): with the server's default (most of `tlength`) a stream corked
        // after a job and uncorked for the next was sometimes granted less than that to write, never
        // started, and never asked for more (pipewire-pulse 0.3.65: 1 job in 80 hung so).
        let bytesPerSecond = UInt32(rate * channels * 2)
        var attributes = pa_buffer_attr(
            maxlength: UInt32.max, tlength: bytesPerSecond / 25, prebuf: UInt32(channels * 2), minreq: UInt32.max,
            fragsize: UInt32.max)
        var flags = PA_STREAM_ADJUST_LATENCY.rawValue | PA_STREAM_DONT_MOVE.rawValue
        if startCorked { flags |= PA_STREAM_START_CORKED.rawValue }
        corked = startCorked
        if pa_stream_connect_playback(stream, sink, &attributes, pa_stream_flags_t(flags), nil, nil) < 0 {
            let message = AudioServer.message(context)
            closeStream()
            finish(failure("pa_stream_connect_playback", message))
            return
        }
        // PipeWire answers only once its session manager linked the stream to the sink: without one
        // (WirePlumber not running, or exited) the stream would wait for libpulse's "Timeout".
        let deadline = server.streamDeadline
        server.loop.after(deadline) { [weak self, weak handle] in
            guard let self, let handle, self.handle === handle, !self.streamReady else { return }
            self.closeStream()
            self.finish(
                self.failure(
                    "pa_stream_connect_playback",
                    "the server did not connect the stream to the sink within \(deadline.components.seconds) s; "
                        + "is its session manager running (for PipeWire: `systemctl --user status wireplumber`)?"
                ))
        }
    }

    private func streamStateChanged(_ stream: OpaquePointer) {
        guard stream == self.stream else { return }
        switch pa_stream_get_state(stream) {
        case PA_STREAM_READY:
            streamReady = true
            // A job cancelled while its stream connected leaves it idle: corked, like after a job.
            if current != nil { start() } else { setCorked(true) }
        case PA_STREAM_FAILED, PA_STREAM_TERMINATED:
            let message = server.context.map { AudioServer.message($0) } ?? "the server went away"
            closeStream()
            if current != nil { finish(failure("pa_stream", message)) }
        default:
            break
        }
    }

    private func closeStream() {
        guard let handle else { return }
        self.handle = nil
        streamReady = false
        corked = false
        handle.close()
    }

    /// The server lost the connection or the sink: a stream on it is gone. Another program started
    /// playing during a keep-alive burst: the burst stops (the device is kept awake anyway).
    private func serverChanged() {
        if let playing = current, playing.job.priority == .keepAlive, server.othersPlaying(sink) {
            if let stream, streamReady, let operation = pa_stream_flush(stream, nil, nil) {
                pa_operation_unref(operation)
            }
            finish(nil)
            return
        }
        guard let problem = server.playProblem(sink: sink) else {
            // The sink is (back) there: a stream gets ready for it. Only on that change, so a stream
            // the server refuses is not asked for again at every event.
            if !playable {
                playable = true
                prepare()
            }
            return
        }
        playable = false
        closeStream()
        if current != nil { finish(failure("pa_stream", problem)) }
    }

    /// Writes as much as the server takes; drains after the job's last frame.
    private func pump() {
        guard var playing = current, let handle, streamReady, !playing.draining else { return }
        let stream = handle.stream
        var writable = pa_stream_writable_size(stream)
        while writable >= channels * 2 {
            do {
                if playing.offset == playing.buffer.count {
                    let next = try refill(&playing)
                    if next == .waiting {
                        current = playing
                        return
                    }
                    guard next == .block else {
                        playing.draining = true
                        current = playing
                        setCorked(false)  // a job without a frame: a corked stream would never drain
                        // The handle: a stream closed before it drained cancels this (no callback).
                        let me = Unmanaged.passUnretained(handle).toOpaque()
                        let operation = pa_stream_drain(
                            stream,
                            { stream, success, userdata in
                                guard let userdata,
                                    let player = Unmanaged<StreamHandle>.fromOpaque(userdata).takeUnretainedValue()
                                        .player
                                else { return }
                                if stream == player.stream { player.drained() }
                            }, me)
                        if let operation { pa_operation_unref(operation) }
                        return
                    }
                }
                let frames = min(writable / (channels * 2), (playing.buffer.count - playing.offset) / channels)
                let samples = frames * channels
                let status = playing.buffer.withUnsafeBufferPointer { buffer in
                    pa_stream_write(stream, buffer.baseAddress! + playing.offset, samples * 2, nil, 0, PA_SEEK_RELATIVE)
                }
                guard status >= 0 else {
                    throw failure("pa_stream_write", server.context.map { AudioServer.message($0) } ?? "write failed")
                }
                playing.offset += samples
                writable -= samples * 2
                if corked { setCorked(false) }
                if playing.first {
                    playing.first = false
                    if let start = playing.job.runStart {
                        let elapsed = ContinuousClock.now - start
                        firstFrameTimer.recordNanoseconds(
                            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                    }
                    onFirstFrame?(output)
                }
                let now = ContinuousClock.now
                if lastWriteReport.map({ $0.duration(to: now) >= .seconds(1) }) ?? true {
                    lastWriteReport = now
                    onWrite(output)
                }
            } catch {
                current = playing
                finish(error)
                return
            }
        }
        current = playing
    }

    /// Loads the next block of the job into `buffer`: `.end` when the job has no more audio,
    /// `.waiting` when speech is still being synthesized.
    private func refill(_ playing: inout Playing) throws -> Refill {
        while true {
            playing.offset = 0
            playing.buffer = []
            if playing.speech != nil {
                let block: [Int16]?
                do throws(AudioError) {
                    block = try nextSpeechBlock(&playing)
                } catch {
                    throw failure(error.function, error.message)
                }
                if let block {
                    if block.isEmpty { continue }
                    playing.buffer = block
                    return .block
                }
                guard playing.speechEnded else { return .waiting }
                if let error = playing.speechError { throw error.error }
                playing.speech = nil
                playing.item += 1
                continue
            }
            do throws(AudioError) {
                if let file = playing.file {
                    let block = try file.next(maxFrames: rate / 20)
                    if !block.isEmpty {
                        playing.buffer = block
                        return .block
                    }
                    playing.file = nil
                    playing.item += 1
                    continue
                }
                guard playing.item < playing.job.items.count else { return .end }
                let item = playing.job.items[playing.item]
                if case .file(let source, let gain) = item {
                    playing.file = try renderer.stream(source, gain: gain)
                    continue
                }
                if case .speech(let speech) = item {
                    startReading(speech, job: playing.job.id)
                    playing.speech = speech
                    playing.speechChunks = []
                    playing.speechEnded = false
                    playing.speechError = nil
                    playing.converter = nil
                    continue
                }
                playing.buffer = try renderer.render(item)
                playing.item += 1
                if !playing.buffer.isEmpty { return .block }
            } catch {
                throw failure(error.function, error.message)
            }
        }
    }

    /// The next converted block of the speech being played (50 ms of a long chunk at a time, so a
    /// cached utterance's first block goes out before the rest is converted); nil when no chunk is
    /// there (wait, or the end); the converter's last frames once the synthesis ended.
    private func nextSpeechBlock(_ playing: inout Playing) throws(AudioError) -> [Int16]? {
        guard !playing.speechChunks.isEmpty else {
            guard playing.speechEnded, let converter = playing.converter else { return nil }
            playing.converter = nil
            return try converter.finish()
        }
        var chunk = playing.speechChunks[0]
        if let converter = playing.converter, !converter.accepts(chunk) {
            // Another format (a fallback engine): the old converter's last frames first.
            playing.converter = nil
            return try converter.finish()
        }
        if playing.converter == nil {
            playing.converter = try StreamConverter(
                sourceRate: chunk.sampleRate, sourceChannels: chunk.channels, rate: rate, channels: channels,
                output: output, pcm: sink)
        }
        let block = max(1, chunk.sampleRate / 20) * max(1, chunk.channels)
        let piece = Array(chunk.samples.prefix(block))
        chunk.samples.removeFirst(piece.count)
        if chunk.samples.isEmpty {
            playing.speechChunks.removeFirst()
        } else {
            playing.speechChunks[0] = chunk
        }
        return try playing.converter!.convert(piece)
    }

    /// Reads a speech stream on a thread of its own (`next()` blocks until the synthesizer has a
    /// chunk; the loop thread, which serves every sink, never waits) and hands each chunk to the
    /// loop thread as it comes.
    private func startReading(_ speech: SpeechStream, job: Int) {
        DedicatedThreadExecutor.spawn(name: "routines-speech-read") { [self] in
            do {
                while let chunk = try speech.next() {
                    server.loop.perform { [self] in speechChunk(chunk, of: speech, job: job) }
                }
                server.loop.perform { [self] in speechEnded(speech, job: job, nil) }
            } catch {
                let failure = SpeechFailure(error: error)
                server.loop.perform { [self] in speechEnded(speech, job: job, failure) }
            }
        }
    }

    private func speechChunk(_ chunk: PCMSamples, of speech: SpeechStream, job: Int) {
        guard current?.job.id == job, current?.speech === speech else { return }
        current?.speechChunks.append(chunk)
        pump()
    }

    private func speechEnded(_ speech: SpeechStream, job: Int, _ error: SpeechFailure?) {
        guard current?.job.id == job, current?.speech === speech else { return }
        current?.speechEnded = true
        current?.speechError = error
        pump()
    }

    /// Stops the synthesis of a job's speech that will not (all) be played.
    private static func cancelSpeech(_ job: Job) {
        for case .speech(let speech) in job.items { speech.cancel() }
    }

    private func drained() {
        guard current?.draining == true else { return }
        onWrite(output)
        finish(nil)
    }

    /// Ends the current job (or fails it) and starts the next one.
    private func finish(_ error: Error?) {
        guard let playing = current else { return }
        current = nil
        Self.cancelSpeech(playing.job)
        if let error {
            if error is AudioServerError { errorCounter.increment() }
            playing.job.done.resume(throwing: error)
        } else {
            playing.job.done.resume()
        }
        startNext()
    }

    private func failure(_ function: String, _ message: String) -> AudioServerError {
        AudioServerError(output: output, sink: sink, function: function, message: message)
    }
}

/// A playback stream and the player its callbacks go to (their user data): the player may be
/// released while its stream waits corked, and the callbacks then find none.
private final class StreamHandle: @unchecked Sendable {
    // @unchecked: used on the loop thread only (a player's deinit hands it there to close).
    let stream: OpaquePointer
    weak var player: SinkPlayer?
    private var closed = false

    init(_ stream: OpaquePointer, player: SinkPlayer) {
        self.stream = stream
        self.player = player
    }

    /// Loop thread: disconnects the stream (its callbacks first).
    func close() {
        guard !closed else { return }
        closed = true
        pa_stream_set_state_callback(stream, nil, nil)
        pa_stream_set_write_callback(stream, nil, nil)
        pa_stream_disconnect(stream)
        pa_stream_unref(stream)
    }
}

/// A synthesizer's error, handed from a speech reader thread to the loop thread.
private struct SpeechFailure: @unchecked Sendable {
    // @unchecked: the error is only rethrown, never mutated.
    let error: any Error
}
