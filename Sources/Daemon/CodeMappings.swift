#if canImport(Glibc)
    import Glibc
#endif

/// Tells the kernel that the daemon reads its code at random (`MADV_RANDOM` on every executable
/// file mapping). A daemon that sleeps between rare events runs a scattered few functions; without
/// the advice every page fault in code also maps up to 64 KiB of neighbouring pages (the kernel's
/// fault-around) and reads ahead, which kept about 18 MB of a 22 MB text segment resident here.
/// With it, only the pages actually executed are mapped. Nothing else changes: the pages stay in
/// the page cache and fault in as needed.
public enum CodeMappings {
    /// Applies the advice; returns how many mappings it applied to (0 when /proc is not readable).
    @discardableResult
    public static func adviseRandomAccess() -> Int {
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        var advised = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // "start-end perms offset dev inode path"
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            guard fields.count >= 6, Array(fields[1]) == Array("r-xp".utf8), fields[5].first == UInt8(ascii: "/") else {
                continue
            }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let start = UInt(String(decoding: range[0], as: UTF8.self), radix: 16),
                let end = UInt(String(decoding: range[1], as: UTF8.self), radix: 16), end > start,
                let address = UnsafeMutableRawPointer(bitPattern: start)
            else { continue }
            if madvise(address, Int(end - start), MADV_RANDOM) == 0 { advised += 1 }
        }
        return advised
    }
}
