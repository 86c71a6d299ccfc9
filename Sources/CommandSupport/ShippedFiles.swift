import SystemIO

/// The running executable's absolute path.
public enum ExecutablePath {
    public static func current() -> String {
        (try? FileSystem.linkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The shipped `Routines/` and `Audio/` folders: `$ROUTINES_SHARE`, else `PREFIX/share/routines`
/// next to an installed binary, else the source checkout the binary was built in.
public enum ShippedFiles {
    public static func locate() -> (routines: String, audio: String)? {
        var candidates: [String] = []
        if let share = CurrentProcess.environment("ROUTINES_SHARE") { candidates.append(share) }
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
        (try? FileKind.of(path)) == .directory
    }
}
