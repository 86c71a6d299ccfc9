#if canImport(Glibc)
    import Glibc
#endif

/// Programs the process starts (`posix_spawnp`, `waitpid`) or becomes (`execv`).
public enum ChildProcess {
    /// Runs `command` (found on `$PATH`) with the standard streams inherited and waits for it;
    /// returns its exit status, or 128 + the signal that ended it. The error names the program.
    public static func run(_ command: [String]) throws(SystemCallError) -> Int32 {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        try retryingInterruptsReturningError("posix_spawnp", path: command[0]) {
            posix_spawnp(&pid, command[0], nil, nil, argv, environ)
        }
        var status: Int32 = 0
        _ = try retryingInterrupts("waitpid", path: command[0]) { waitpid(pid, &status, 0) }
        // WIFEXITED / WEXITSTATUS are macros.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Replaces the running program with `executable` (`execv`), keeping the process id; returns
    /// only by throwing.
    public static func replaceCurrent(with executable: String, arguments: [String]) throws(SystemCallError) -> Never {
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
        argv.append(nil)
        _ = try retryingInterrupts("execv", path: executable) { execv(executable, argv) }
        // execv returns only on failure, which retryingInterrupts throws.
        preconditionFailure("execv returned without an error")
    }

    /// Whether `path` is a file this process may execute (`access` with X_OK).
    public static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }
}
