import ArgumentParser
import CommandSupport
import Daemon

#if canImport(Glibc)
    import Glibc
#endif

/// `routines-daemon`: the routine engine; started as `routines daemon` (which execs this).
@main
struct RoutinesDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routines daemon",
        abstract: "Run the routine engine in the foreground (for systemd or a terminal).",
        version: "0.1.0"
    )

    @OptionGroup var arguments: DaemonArguments

    func run() async throws {
        let paths = DaemonPaths.resolve(
            routines: arguments.routines, audio: arguments.audio, config: arguments.config, state: arguments.state,
            socket: arguments.socket, shippedAudio: ShippedFiles.locate()?.audio)
        let options = DaemonOptions(
            paths: paths, logLevel: JournalLogHandler.level(arguments.logLevel) ?? .info,
            version: Self.configuration.version)
        do {
            try await DaemonRuntime.run(options)
        } catch let error as DaemonStartError {
            Self.fail(error.message)
        } catch {
            Self.fail("\(error)")
        }
    }

    /// One line on standard error, exit status 1.
    static func fail(_ message: String) -> Never {
        let line = Array("routines: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        Glibc.exit(1)
    }
}
