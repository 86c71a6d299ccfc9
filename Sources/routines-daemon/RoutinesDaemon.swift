import ArgumentParser
import Audio
import AudioServer
import CommandSupport
import Daemon
import FoundationEssentials
import RoutineFiles
import RoutineModel
import Speech
import Synchronization
import SystemIO

/// `routines-daemon`: the routine engine; started as `routines daemon` (which execs this).
@main
struct RoutinesDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routines daemon",
        abstract: "Run the routine engine in the foreground (for systemd or a terminal).",
        version: "0.1.0"
    )

    @OptionGroup var arguments: DaemonArguments

    @Option(name: .customLong("check-voices"), help: .hidden)
    var checkVoices: [String] = []

    /// `routines outputs --discover` asks here: libpulse and ALSA live in this executable.
    @Flag(name: .customLong("discover-outputs"), help: .hidden)
    var discoverOutputs = false

    /// ArgumentParser's `main`, after installing the daemon's global executor (before any task).
    static func main() async {
        GlobalExecutor.install()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    func run() async throws {
        if discoverOutputs {
            print(await OutputDiscovery.report().text)
            CurrentProcess.exit(0)
        }
        if !checkVoices.isEmpty {
            // `routines validate` asks here: espeak-ng voices are checked against espeak-ng's own
            // list, Wyoming voices against the server's `info` (the config from --config).
            var config = Config()
            if let file = arguments.config, case .success(let bytes) = InputFile.read(file),
                let loaded = ConfigDecoder.decode(bytes, file: file).value
            {
                config = loaded
            }
            let speech = SpeechEngines(config: config.speech, espeak: EspeakSynthesizer())
            var problems = 0
            for file in checkVoices {
                guard case .success(let bytes) = InputFile.read(file),
                    let routine = RoutineDecoder.decode(bytes, file: file, config: config).value
                else { continue }
                for diagnostic in await speech.voiceDiagnostics(for: routine, file: file, askServers: true) {
                    print(diagnostic)
                    if diagnostic.severity == .error { problems += 1 }
                }
            }
            CurrentProcess.exit(problems == 0 ? 0 : 1)
        }
        let paths = DaemonPaths.resolve(
            routines: arguments.routines, audio: arguments.audio, config: arguments.config, state: arguments.state,
            socket: arguments.socket, shippedAudio: ShippedFiles.locate()?.audio)
        let routers = RouterBox()
        var options = DaemonOptions(
            paths: paths, logLevel: JournalLogHandler.level(arguments.logLevel) ?? .info,
            version: Self.configuration.version
        ) { config, callbacks in
            let router = AudioRouter(
                config: config, onWrite: callbacks.written, onAvailability: callbacks.availability,
                onFirstFrame: callbacks.firstFrame)
            // Sink outputs play through the audio server; without any, no server connection is made.
            let output = CombinedAudioOutput(
                config: config, alsa: router, onWrite: callbacks.written, onSinkState: callbacks.sinkState,
                onFirstFrame: callbacks.firstFrame)
            routers.set(output)
            return output
        }
        options.testOpen = { output in
            guard let audio = routers.router else { return "output '\(output)' is not configured" }
            return await audio.check(output)
        }
        options.knownPCMs = { knownPCMs() }
        do {
            try await DaemonRuntime.run(options)
            // The engine has stopped: the audio server's connection closes before the process exits.
            await routers.router?.close()
        } catch let error as DaemonStartError {
            Self.fail(error.message)
        } catch {
            Self.fail("\(error)")
        }
    }

    /// One line on standard error, exit status 1.
    static func fail(_ message: String) -> Never {
        try? FileDescriptor.standardError.writeAll(Array("routines: \(message)\n".utf8))
        CurrentProcess.exit(1)
    }
}

/// Holds the router once the daemon made it (for `routines outputs` test opens).
final class RouterBox: Sendable {
    private let value = Mutex<CombinedAudioOutput?>(nil)
    func set(_ router: CombinedAudioOutput) { value.withLock { $0 = router } }
    var router: CombinedAudioOutput? { value.withLock { $0 } }
}
