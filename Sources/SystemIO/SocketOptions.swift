import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension FileDescriptor {
    /// Acknowledges what arrives on this TCP socket at once instead of after the kernel's
    /// delayed-ACK timer (`setsockopt` TCP_QUICKACK). Linux leaves quick-ACK mode by itself, so it
    /// is set again after every read.
    public func acknowledgeQuickly() throws(SystemCallError) {
        var one: Int32 = 1
        _ = try retryingInterrupts("setsockopt(TCP_QUICKACK)") {
            setsockopt(rawValue, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
