#if canImport(Glibc)
    import Glibc
#endif

/// A lock and a condition (`pthread_mutex_t`, `pthread_cond_t`) for two threads that both may
/// block, one waiting for what the other hands over (FoundationEssentials has no `NSCondition`).
/// Never wait on it from Swift's cooperative pool.
public final class ThreadCondition: @unchecked Sendable {
    // @unchecked: the two pthread objects live at fixed heap addresses for the object's lifetime
    // and are only used through pthread's own thread-safe calls.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Takes the lock, blocking until it is free.
    public func lock() { pthread_mutex_lock(mutex) }

    /// Releases the lock.
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the lock held.
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Releases the lock, blocks until `broadcast` (or a spurious wake-up: wait in a loop that
    /// checks what it waits for), then takes the lock again. Call with the lock held.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every thread waiting in `wait`.
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Wakes one thread waiting in `wait` (any one: for waiters that all do the same work).
    public func signal() { pthread_cond_signal(condition) }
}
