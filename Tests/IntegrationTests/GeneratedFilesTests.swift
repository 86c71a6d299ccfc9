import Foundation
import Testing

/// The committed man page and shell completions (installed by `make install` without building
/// them again) match the command line: the completions byte for byte, the man page through the
/// command-line description it is generated from (`--experimental-dump-help`, committed next to it
/// by `make generated`, which writes both at once).
@Suite struct GeneratedFilesTests {
    static let regenerate = "run 'make generated' (scripts/generate-docs.sh) and commit the result"

    @Test(arguments: [
        ("bash", "completions/routines.bash"), ("zsh", "completions/_routines"), ("fish", "completions/routines.fish"),
    ])
    func completionsAreCurrent(shell: String, file: String) throws {
        let generated = try CLI.run(["--generate-completion-script", shell])
        #expect(generated.status == 0, "\(generated.stderr)")
        let committed = try String(contentsOfFile: CLI.repositoryRoot + "/" + file, encoding: .utf8)
        #expect(generated.stdout == committed, "\(file) is out of date: \(Self.regenerate)")
    }

    @Test func manPageIsGeneratedFromTheCurrentCommandLine() throws {
        let dump = try CLI.run(["--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let committed = try String(
            contentsOfFile: CLI.repositoryRoot + "/docs/man/routines.dump-help.json", encoding: .utf8)
        #expect(dump.stdout == committed, "docs/man/routines.1 is out of date: \(Self.regenerate)")
        // The page itself documents every subcommand.
        let page = try String(contentsOfFile: CLI.repositoryRoot + "/docs/man/routines.1", encoding: .utf8)
        for command in [
            "daemon", "trigger", "event", "list", "next", "validate", "status", "headphones", "history", "service",
        ] {
            #expect(page.contains(command), "the man page lacks \(command)")
        }
    }
}
