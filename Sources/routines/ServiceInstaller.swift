import CommandSupport
import SystemIO

/// Where `routines service` installs things: the real system, or a root folder for packaging/tests.
struct InstallEnvironment {
    /// Prefix for every path written (`nil`: `/`).
    var root: String?
    /// System unit instead of a user unit.
    var system: Bool

    func path(_ absolute: String) -> String {
        guard let root, !root.isEmpty else { return absolute }
        return (root.hasSuffix("/") ? String(root.dropLast()) : root) + absolute
    }

    /// `$HOME`, else the passwd entry.
    var home: String {
        CurrentProcess.environment("HOME") ?? CurrentProcess.passwordHome ?? "/"
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    var configHome: String {
        if let value = CurrentProcess.environment("XDG_CONFIG_HOME"), value.hasPrefix("/") { return value }
        return home + "/.config"
    }
}

/// Writes and removes the unit and the first-install folders.
struct ServiceInstaller {
    var environment: InstallEnvironment

    var unitPath: String {
        environment.system
            ? environment.path("/etc/systemd/system/routines.service")
            : environment.path(environment.configHome + "/systemd/user/routines.service")
    }

    var routinesFolder: String {
        environment.system
            ? environment.path("/etc/routines/routines")
            : environment.path(environment.configHome + "/routines/routines")
    }

    var audioFolder: String {
        environment.system
            ? environment.path("/etc/routines/audio") : environment.path(environment.configHome + "/routines/audio")
    }

    var isInstalled: Bool { FileKind.exists(unitPath) }

    private var systemctl: [String] { environment.system ? ["systemctl"] : ["systemctl", "--user"] }

    var enableCommands: [[String]] {
        var commands: [[String]] = []
        if environment.system && !CurrentProcess.accountExists("routines") {
            commands.append([
                "useradd", "--system", "--home-dir", "/var/lib/routines", "--shell", "/usr/sbin/nologin", "--groups",
                "audio", "routines",
            ])
        }
        commands.append(systemctl + ["daemon-reload"])
        commands.append(systemctl + ["enable", "--now", "routines.service"])
        return commands
    }

    var disableCommands: [[String]] {
        [systemctl + ["disable", "--now", "routines.service"], systemctl + ["daemon-reload"]]
    }

    var statusCommand: [String] { systemctl + ["status", "--no-pager", "routines.service"] }

    /// Why `systemctl --user` cannot work here (no user bus), or nil; the system manager is assumed.
    var userBusProblem: String? {
        guard !environment.system, environment.root == nil else { return nil }
        if CurrentProcess.environment("DBUS_SESSION_BUS_ADDRESS") != nil { return nil }
        guard let runtime = CurrentProcess.environment("XDG_RUNTIME_DIR") else {
            return "no systemd user session here ($XDG_RUNTIME_DIR is not set), so 'systemctl --user' cannot work: "
                + "log in with a session (a desktop or ssh login), or run 'routines daemon' in a terminal"
        }
        let bus = runtime + "/bus"
        guard FileKind.exists(bus) else {
            return "no systemd user session here (\(bus) does not exist), so 'systemctl --user' cannot work: "
                + "log in with a session (a desktop or ssh login), or run 'routines daemon' in a terminal"
        }
        return nil
    }

    /// Writes the unit (replacing an older one of ours) and creates the folders with the shipped
    /// routines and sounds; existing user files are never touched. Returns what it did, one line each.
    func install() throws(CLIError) -> [String] {
        var report: [String] = []
        let executable = ExecutablePath.current()
        let unit =
            environment.system ? ServiceUnit.system(executable: executable) : ServiceUnit.user(executable: executable)
        try makeDirectories(CommandPaths.parent(unitPath), mode: FilePermissions(rawValue: 0o755))
        try writeFile(unitPath, unit, mode: FilePermissions(rawValue: 0o644))
        report.append("wrote \(unitPath)")
        try makeDirectories(routinesFolder, mode: FilePermissions(rawValue: 0o755))
        try makeDirectories(audioFolder, mode: FilePermissions(rawValue: 0o755))
        if environment.system {
            // The system unit names its config file, and the daemon refuses a named config that is
            // missing: start with the defaults (one "default" output on ALSA's default PCM).
            let config = environment.path("/etc/routines/config.json")
            if FileKind.exists(config) {
                report.append("kept \(config) (already there)")
            } else {
                try writeFile(config, "{}\n", mode: FilePermissions(rawValue: 0o644))
                report.append("wrote \(config) (the defaults; add your outputs there)")
            }
            if executable.hasPrefix("/home/") || executable.hasPrefix("/root/") {
                report.append(
                    "warning: \(executable) is under a home folder, which the system unit hides (ProtectHome=yes); "
                        + "install the binary under /usr/local (sudo make install) before starting the service")
            }
        }
        if executable.contains("/.build/") {
            report.append(
                "warning: the unit runs \(executable), a build output the next build replaces or 'swift package clean' "
                    + "removes; install the binaries first (bash scripts/run.sh or make install PREFIX=~/.local) and run "
                    + "the installed 'routines service install'")
        }
        if let shipped = ShippedFiles.locate() {
            for (source, target, kinds) in [
                (shipped.routines, routinesFolder, [".json"]),
                (shipped.audio, audioFolder, [".wav", ".flac", ".ogg", ".mp3"]),
            ] {
                for name in (try? directoryEntries(source).get()) ?? []
                where kinds.contains(where: { name.hasSuffix($0) }) {
                    let destination = target + "/" + name
                    if FileKind.exists(destination) {
                        report.append("kept \(destination) (already there)")
                        continue
                    }
                    try copyFile(source + "/" + name, destination)
                    report.append("copied \(destination)")
                }
            }
        } else {
            report.append("note: shipped routines and sounds not found next to \(executable); folders left empty")
        }
        return report
    }

    /// Removes the unit file; routines, sounds, config and state are kept.
    func uninstall() throws(CLIError) -> [String] {
        guard isInstalled else { return ["not installed: \(unitPath) does not exist"] }
        do {
            try FileSystem.remove(unitPath)
        } catch {
            throw CLIError("cannot remove \(unitPath): \(error.errno)")
        }
        return ["removed \(unitPath)", "kept your routines, sounds, config and history"]
    }
}

func makeDirectories(_ path: String, mode: FilePermissions) throws(CLIError) {
    if CommandPaths.isDirectory(path) { return }
    let parent = CommandPaths.parent(path)
    if parent != path { try makeDirectories(parent, mode: mode) }
    do {
        try FileSystem.makeFolder(path, permissions: mode)
    } catch {
        throw CLIError("cannot create \(path): \(error.errno)")
    }
}

func writeFile(_ path: String, _ text: String, mode: FilePermissions) throws(CLIError) {
    let temporary = path + ".tmp"
    do {
        let fd = try FileDescriptor.open(path: temporary, .writeOnly, options: [.create, .truncate], permissions: mode)
        defer { fd.closeQuietly() }
        try fd.writeAll(Array(text.utf8))
        try? fd.synchronize()
    } catch {
        throw CLIError("cannot write \(path): \(error.errno)")
    }
    do {
        try FileSystem.rename(temporary, to: path)
    } catch {
        throw CLIError("cannot write \(path): \(error.errno)")
    }
}

func copyFile(_ source: String, _ destination: String) throws(CLIError) {
    switch readFileBytes(source) {
    case .success(let bytes):
        // Exclusive create: never replace a file that appeared meanwhile.
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                path: destination, .writeOnly, options: [.create, .exclusiveCreate],
                permissions: FilePermissions(rawValue: 0o644))
        } catch {
            throw CLIError("cannot create \(destination): \(error.errno)")
        }
        defer { fd.closeQuietly() }
        do {
            try fd.writeAll(bytes)
        } catch {
            throw CLIError("cannot write \(destination): \(error.errno)")
        }
    case .failure(let problem):
        throw CLIError("cannot read \(source): \(problem.message)")
    }
}
