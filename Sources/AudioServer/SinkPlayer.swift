import Audio
import CPulse
import CoreMetrics
import Engine
import Foundation
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
        var first = true
        var draining = false
    }

    private let lock = NSLock()
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
        // The loop thread never blocks: speech is collected whole on a thread of its own first.
        let items = try await Self.collectSpeech(items)
        let id = lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                server.loop.perform { [self] in
                    enqueue(Job(id: id, items: items, priority: priority, runStart: runStart, done: continuation))
                }
            }
        } onCancel: {
            server.loop.perform { [self] in cancel(id) }
        }
    }

    /// Replaces streamed speech by its samples, waiting on a thread of its own (never the loop thread,
    /// which serves every sink, nor the cooperative pool).
    static func collectSpeech(_ items: [AudioItem]) async throws -> [AudioItem] {
        let streams = items.compactMap { item -> SpeechStream? in
            if case .speech(let stream) = item { return stream }
            return nil
        }
        guard !streams.isEmpty else { return items }
        let collected: [PCMSamples?] = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DedicatedThreadExecutor.spawn(name: "routines-speech-wait") {
                    do {
                        continuation.resume(returning: try streams.map { try $0.collect() })
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            for stream in streams { stream.cancel() }
        }
        var index = 0
        return items.compactMap { item in
            guard case .speech = item else { return item }
            defer { index += 1 }
            return collected[index].map { .samples($0) }
        }
    }

    /// Sets the sink's volume (0–100 % of the server's normal volume).
    public func setVolume(_ level: Int) async throws {
        let result: Result<Void, AudioServerError> = await withCheckedContinuation { continuation in
            server.loop.perform { [self] in
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
        }
        try result.get()
    }

    /// Whether the sink can be played to now (for `routines outputs`): nil when it can, else why not.
    public func check() async -> String? {
        await withCheckedContinuation { continuation in
            server.loop.perform { [self] in continuation.resume(returning: server.playProblem(sink: sink)) }
        }
    }

    // MARK: Loop thread

    private func enqueue(_ job: Job) {
        if cancelled.remove(job.id) != nil {
            job.done.resume(throwing: CancellationError())
            return
        }
        queue.append(job)
        startNext()
    }

    private func cancel(_ id: Int) {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: index).done.resume(throwing: CancellationError())
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

    /// Writes the job's first blocks, then uncorks: the server has the audio when it starts.
    private func start() {
        pump()
        if current != nil { setCorked(false) }
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
        // one late wake-up of this thread does not underrun.
        let bytesPerSecond = UInt32(rate * channels * 2)
        var attributes = pa_buffer_attr(
            maxlength: UInt32.max, tlength: bytesPerSecond / 25, prebuf: UInt32.max, minreq: UInt32.max,
            fragsize: UInt32.max)
        var flags = PA_STREAM_ADJUST_LATENCY.rawValue | PA_STREAM_DONT_MOVE.rawValue
        if startCorked { flags |= PA_STREAM_START_CORKED.rawValue }
        corked = startCorked
        if pa_stream_connect_playback(stream, sink, &attributes, pa_stream_flags_t(flags), nil, nil) < 0 {
            let message = AudioServer.message(context)
            closeStream()
            finish(failure("pa_stream_connect_playback", message))
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
                    guard try refill(&playing) else {
                        playing.draining = true
                        current = playing
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

    /// Loads the next block of the job into `buffer`; false when the job has no more audio.
    private func refill(_ playing: inout Playing) throws -> Bool {
        while true {
            playing.offset = 0
            playing.buffer = []
            do throws(AudioError) {
                if let file = playing.file {
                    let block = try file.next(maxFrames: rate / 20)
                    if !block.isEmpty {
                        playing.buffer = block
                        return true
                    }
                    playing.file = nil
                    playing.item += 1
                    continue
                }
                guard playing.item < playing.job.items.count else { return false }
                let item = playing.job.items[playing.item]
                if case .file(let source, let gain) = item {
                    playing.file = try renderer.stream(source, gain: gain)
                    continue
                }
                playing.buffer = try renderer.render(item)
                playing.item += 1
                if !playing.buffer.isEmpty { return true }
            } catch {
                throw failure(error.function, error.message)
            }
        }
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
