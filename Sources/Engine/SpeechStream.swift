import FoundationEssentials
import SystemIO

/// Speech handed from a synthesizer to a player while it is being made.
///
/// The synthesizer (on its own thread: espeak-ng's, or a Wyoming connection's) appends chunks; the
/// output's player thread takes them as they come and blocks while the next one is not there yet.
/// Both sides are threads that may block, so this is a lock and a condition, not an `AsyncStream`.
/// Either side may end it: the producer when it is done or failed, the consumer by `cancel()`,
/// which the producer sees on its next `yield` and stops synthesizing.
public final class SpeechStream: @unchecked Sendable, Equatable, CustomStringConvertible {
    // @unchecked: every stored property is guarded by `condition`.
    private let condition = ThreadCondition()
    private var pending: [PCMSamples] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var fallback: String?
    private var delivered = 0
    private var firstChunk: Date?

    /// An empty stream for a producer to fill.
    public init() {}

    /// A stream that already holds the whole utterance.
    public static func finished(_ samples: PCMSamples) -> SpeechStream {
        let stream = SpeechStream()
        _ = stream.yield(samples)
        stream.finish()
        return stream
    }

    // MARK: Producer

    /// Appends a chunk. Returns false when the consumer cancelled: stop synthesizing.
    @discardableResult
    public func yield(_ chunk: PCMSamples) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if cancelled || finished { return !cancelled }
        if !chunk.samples.isEmpty {
            if firstChunk == nil { firstChunk = Date() }
            pending.append(chunk)
            condition.broadcast()
        }
        return true
    }

    /// Ends the stream after the chunks already appended; with an error, the consumer throws it
    /// once those chunks are played.
    public func finish(throwing error: (any Error)? = nil) {
        condition.lock()
        defer { condition.unlock() }
        guard !finished else { return }
        finished = true
        failure = error
        condition.broadcast()
    }

    /// Records that another engine speaks instead of the one asked for, and why (for the run's history).
    public func noteFallback(_ reason: String) {
        condition.lock()
        fallback = reason
        condition.unlock()
    }

    /// Whether the consumer gave up on the stream.
    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Whether any chunk was appended yet (a fallback is still possible before the first one).
    public var hasAudio: Bool {
        condition.lock()
        defer { condition.unlock() }
        return delivered > 0 || !pending.isEmpty
    }

    // MARK: Consumer

    /// The next chunk, blocking the calling thread until there is one; nil at the end.
    /// - Throws: the producer's error, after the chunks that came before it.
    public func next() throws -> PCMSamples? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !finished && !cancelled { condition.wait() }
        if !pending.isEmpty {
            delivered += 1
            return pending.removeFirst()
        }
        if let failure, !cancelled { throw failure }
        return nil
    }

    /// Stops the stream from the consumer's side (the playback was cancelled or failed).
    public func cancel() {
        condition.lock()
        cancelled = true
        pending.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// When the producer appended the first chunk (wall clock; for latency logs).
    public var firstChunkAt: Date? {
        condition.lock()
        defer { condition.unlock() }
        return firstChunk
    }

    /// Why another engine spoke, when one did.
    public var fallbackReason: String? {
        condition.lock()
        defer { condition.unlock() }
        return fallback
    }

    /// Every chunk joined, waiting for the end: for tests and callers on threads that may block,
    /// never on Swift's cooperative pool while the stream is still being filled.
    public func collect() throws -> PCMSamples? {
        var first: PCMSamples?
        while let chunk = try next() {
            if first == nil { first = chunk } else { first!.samples += chunk.samples }
        }
        return first
    }

    public static func == (lhs: SpeechStream, rhs: SpeechStream) -> Bool { lhs === rhs }

    public var description: String { "SpeechStream(\(ObjectIdentifier(self)))" }
}
