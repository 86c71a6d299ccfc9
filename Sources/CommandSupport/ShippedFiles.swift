#if canImport(Glibc)
    import Glibc
#endif

/// The running executable's absolute path.
public enum ExecutablePath {
    public static func current() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return CommandLine.arguments[0]
    }
}

/// The shipped `Routines/` and `Audio/` folders: `$ROUTINES_SHARE`, else `PREFIX/share/routines`
/// next to an installed binary, else the source checkout the binary was built in.
public enum ShippedFiles {
    public static func locate() -> (routines: String, audio: String)? {
        var candidates: [String] = []
        if let share = getenv("ROUTINES_SHARE") { candidates.append(String(cString: share)) }
        var dir = CommandPaths.parent(ExecutablePath.current())
        candidates.append(CommandPaths.parent(dir) + "/share/routines")
        for _ in 0..<5 {
            candidates.append(dir)
            dir = CommandPaths.parent(dir)
        }
        for base in candidates
        where CommandPaths.isDirectory(base + "/Routines") && CommandPaths.isDirectory(base + "/Audio") {
            return (base + "/Routines", base + "/Audio")
        }
        return nil
    }
}

/// Small path helpers shared by the two executables.
public enum CommandPaths {
    /// The folder part of a path (`/a/b` → `/a`).
    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}

/// Writes all of `bytes` to `fd`, retrying on EINTR and short writes; returns 0 or the errno.
@discardableResult
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return 0
}
