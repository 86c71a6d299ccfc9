import ArgumentParser
import CommandSupport
import RoutineModel
import SystemIO

extension Routines {
    /// `routines validate PATH...`: checks routine files offline.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check routine files; exit 0 when all are valid, else print one line per problem.",
            discussion: """
                PATH may be a routine file or a folder (its *.json files, skipping editor leftovers). \
                Syntax errors print as FILE:LINE:COL: MESSAGE, other problems as FILE: JSON.PATH: \
                MESSAGE. Warnings are printed too but do not fail the check; one says when a sound file \
                a routine plays is in none of the audio folders (--audio, else the daemon's defaults: \
                $XDG_CONFIG_HOME/routines/audio, then the shipped sounds).
                """
        )

        @Argument(help: "Routine files or folders to check.")
        var paths: [String]

        @Option(help: "A config.json to check as well; output names in routines are checked against it.")
        var config: String?

        @Option(
            help:
                "An audio folder the daemon will search (repeatable, as for 'routines daemon'); sound files are looked up there."
        )
        var audio: [String] = []

        @Flag(name: .shortAndLong, help: "Print nothing when all files are valid.")
        var quiet = false

        func validate() throws {
            if paths.isEmpty {
                throw ValidationError("Name at least one routine file or folder.")
            }
        }

        func run() throws {
            var problems = 0
            var checked = 0
            var voiceFiles: [String] = []
            var loadedConfig: Config?
            if let config {
                let result = loadConfigFile(config)
                for diagnostic in result.diagnostics { print(diagnostic) }
                problems += result.errors.count
                loadedConfig = result.value
            }
            for path in paths {
                let files: [String]
                switch routineFiles(at: path) {
                case .success(let found):
                    files = found
                case .failure(let error):
                    print("\(path): \(error.message)")
                    problems += 1
                    continue
                }
                for file in files {
                    checked += 1
                    let result = loadRoutineFile(file, config: loadedConfig)
                    for diagnostic in result.diagnostics { print(diagnostic) }
                    if let routine = result.value {
                        for warning in SoundFileCheck(folders: audioFolders).missing(in: routine, file: file) {
                            print(warning)
                        }
                    }
                    problems += result.errors.count
                    let namesVoice =
                        result.value?.actions.contains {
                            if case .announce(let spec) = $0.kind { return !spec.voice.isEmpty }
                            return false
                        } ?? false
                    if namesVoice { voiceFiles.append(file) }
                }
            }
            // Voices are checked against espeak-ng's own list by the daemon binary (which links it).
            if !voiceFiles.isEmpty {
                let executable = CommandPaths.parent(ExecutablePath.current()) + "/routines-daemon"
                let configArguments = config.map { ["--config", $0] } ?? []
                let status = runCommand([executable] + configArguments + voiceFiles.flatMap { ["--check-voices", $0] })
                if status != 0 { problems += 1 }
            }
            if problems > 0 {
                throw ExitCode(1)
            }
            if !quiet {
                print("\(checked) routine file\(checked == 1 ? "" : "s") valid")
            }
        }

        /// The folders `routines daemon` would search with the same `--audio` options.
        var audioFolders: [String] {
            var folders = audio
            if folders.isEmpty {
                let environment = InstallEnvironment(root: nil, system: false)
                folders = [environment.configHome + "/routines/audio"]
            }
            if let shipped = ShippedFiles.locate()?.audio, !folders.contains(shipped) { folders.append(shipped) }
            return folders
        }
    }
}

/// Finds the sound files a routine plays that are in none of the audio folders (a run would fail).
struct SoundFileCheck {
    var folders: [String]

    func missing(in routine: Routine, file: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for (index, action) in routine.actions.enumerated() {
            let name: String
            let path: String
            switch action.kind {
            case .play(let spec):
                (name, path) = (spec.file, "actions[\(index)].play")
            case .announce(let spec):
                guard case .file(let chime) = spec.chime else { continue }
                (name, path) = (chime, "actions[\(index)].chime")
            default:
                continue
            }
            guard !folders.contains(where: { isRegularFile($0 + "/" + name) }) else { continue }
            found.append(
                Diagnostic(
                    severity: .warning, file: file, path: path,
                    message:
                        "sound file '\(name)' is in none of the audio folders (\(folders.joined(separator: ", "))); "
                        + "the run would fail there: copy it into one, or name its folder with --audio"))
        }
        return found
    }

    private func isRegularFile(_ path: String) -> Bool {
        (try? FileKind.of(path)) == .regular
    }
}
