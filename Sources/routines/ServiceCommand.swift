import ArgumentParser
import SystemIO

extension Routines {
    /// `routines service install|uninstall|status`: the systemd unit.
    struct Service: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install, remove or inspect the systemd unit that runs the daemon.",
            discussion: """
                install writes ~/.config/systemd/user/routines.service (Type=notify, watchdog, restart on \
                failure), creates the XDG folders and copies the shipped routines and sounds into them \
                without overwriting anything you have, then prints the systemctl commands (or runs them \
                with --now). With --system it writes /etc/systemd/system/routines.service for headless \
                machines instead: a dedicated 'routines' user in the audio group, folders under \
                /etc/routines and /var/lib/routines.
                """
        )

        @Argument(help: "install, uninstall or status.")
        var action: ServiceAction

        @Flag(help: "A system unit for headless machines instead of a user unit (needs root).")
        var system = false

        @Flag(help: "Also run systemctl: enable and start (install), stop and disable (uninstall).")
        var now = false

        @Option(help: "Install into this root instead of / (for packaging and tests); implies not running systemctl.")
        var root: String?

        func run() throws {
            let environment = InstallEnvironment(root: root, system: system)
            let installer = ServiceInstaller(environment: environment)
            switch action {
            case .install:
                let report = try installer.install()
                for line in report { print(line) }
                try follow(installer.enableCommands)
            case .uninstall:
                if now && root == nil { try runCommands(installer.disableCommands) }
                for line in try installer.uninstall() { print(line) }
                if !(now && root == nil) {
                    print("then run:")
                    for command in installer.disableCommands { print("  " + command.joined(separator: " ")) }
                }
            case .status:
                if root == nil {
                    if let problem = installer.userBusProblem {
                        print(installer.isInstalled ? "installed: \(installer.unitPath)" : "not installed")
                        throw CLIError(problem)
                    }
                    let command = installer.statusCommand
                    let status = runCommand(command)
                    if status != 0 && status != 3 {
                        throw CLIError("'\(command.joined(separator: " "))' failed (exit status \(status))")
                    }
                } else {
                    print(installer.isInstalled ? "installed: \(installer.unitPath)" : "not installed")
                }
            }
        }

        private func follow(_ commands: [[String]]) throws {
            if now && root == nil {
                try runCommands(commands)
            } else {
                print("then run:")
                for command in commands { print("  " + command.joined(separator: " ")) }
            }
        }

        private func runCommands(_ commands: [[String]]) throws {
            if let problem = ServiceInstaller(environment: InstallEnvironment(root: root, system: system))
                .userBusProblem
            {
                throw CLIError(problem)
            }
            for command in commands {
                let status = runCommand(command)
                if status != 0 {
                    throw CLIError("'\(command.joined(separator: " "))' failed (exit status \(status))")
                }
            }
        }
    }

    /// What `routines service` does.
    enum ServiceAction: String, ExpressibleByArgument, CaseIterable {
        case install, uninstall, status
    }
}

/// Runs a command with inherited standard streams; returns its exit status.
func runCommand(_ command: [String]) -> Int32 {
    do {
        return try ChildProcess.run(command)
    } catch {
        printError("routines: cannot run \(command[0]): \(error.errno)")
        return 127
    }
}
