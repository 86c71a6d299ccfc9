import ArgumentParser
import CommandSupport
import RoutineModel

extension Routines {
    /// `routines validate PATH...`: checks routine files offline.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check routine files; exit 0 when all are valid, else print one line per problem.",
            discussion: """
                PATH may be a routine file or a folder (its *.json files, skipping editor leftovers). \
                Syntax errors print as FILE:LINE:COL: MESSAGE, other problems as FILE: JSON.PATH: \
                MESSAGE. Warnings are printed too but do not fail the check.
                """
        )

        @Argument(help: "Routine files or folders to check.")
        var paths: [String]

        @Option(help: "A config.json to check as well; output names in routines are checked against it.")
        var config: String?

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
                    problems += result.errors.count
                    let namesVoice = result.value?.actions.contains {
                        if case .announce(let spec) = $0.kind { return !spec.voice.isEmpty }
                        return false
                    } ?? false
                    if namesVoice { voiceFiles.append(file) }
                }
            }
            // Voices are checked against espeak-ng's own list by the daemon binary (which links it).
            if !voiceFiles.isEmpty {
                let executable = CommandPaths.parent(ExecutablePath.current()) + "/routines-daemon"
                let status = runCommand([executable] + voiceFiles.flatMap { ["--check-voices", $0] })
                if status != 0 { problems += 1 }
            }
            if problems > 0 {
                throw ExitCode(1)
            }
            if !quiet {
                print("\(checked) routine file\(checked == 1 ? "" : "s") valid")
            }
        }
    }
}
