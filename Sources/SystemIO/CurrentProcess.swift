#if canImport(Glibc)
    import Glibc
#endif

/// The running process: who it runs as, its environment, the machine's name, and the programs it
/// starts or becomes.
public enum CurrentProcess {
    /// The real user id (`getuid`).
    public static var userID: UInt32 { getuid() }

    /// The process id (`getpid`).
    public static var processID: Int32 { getpid() }

    /// An environment variable, nil when unset or empty (`getenv`).
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// The user's home folder from the password database (`getpwuid`), nil without an entry.
    public static var passwordHome: String? {
        guard let entry = getpwuid(getuid()), let folder = entry.pointee.pw_dir else { return nil }
        return String(cString: folder)
    }

    /// The machine's host name (`gethostname`), nil when it cannot be read.
    public static var hostName: String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension CurrentProcess {
    /// Whether the password database has an account `name` (`getpwnam`).
    public static func accountExists(_ name: String) -> Bool {
        getpwnam(name) != nil
    }
}

extension CurrentProcess {
    /// Ends the process with `status` (`exit`: atexit handlers run, stdio is flushed).
    public static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }
}
