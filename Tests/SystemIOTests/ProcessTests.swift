import Foundation
import SystemIO
import Testing

/// Child processes and the running process, through SystemIO.
@Suite struct ProcessTests {
    @Test func runsAProgramAndReturnsItsExitStatus() throws {
        #expect(try ChildProcess.run(["true"]) == 0)
        #expect(try ChildProcess.run(["sh", "-c", "exit 7"]) == 7)
        // Ended by a signal: 128 + its number (SIGKILL: the test process may block or ignore others,
        // and a child inherits that).
        #expect(try ChildProcess.run(["sh", "-c", "kill -KILL $$"]) == 128 + SIGKILL)
    }

    @Test func aMissingProgramIsAnErrorNamingIt() throws {
        let name = "no-such-program-\(UUID().uuidString)"
        let error = #expect(throws: SystemCallError.self) { try ChildProcess.run([name]) }
        #expect(error?.call == "posix_spawnp")
        #expect(error?.path == name)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(!ChildProcess.isExecutable("/nonexistent/\(name)"))
        #expect(ChildProcess.isExecutable("/bin/sh"))
    }

    @Test func describesTheRunningProcess() {
        #expect(CurrentProcess.processID == getpid())
        #expect(CurrentProcess.userID == getuid())
        #expect(CurrentProcess.environment("PATH") == ProcessInfo.processInfo.environment["PATH"])
        #expect(CurrentProcess.environment("ROUTINES_SURELY_UNSET_\(UUID().uuidString.prefix(8))") == nil)
        #expect(
            CurrentProcess.hostName == ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init))
        #expect(CurrentProcess.accountExists("root"))
        #expect(!CurrentProcess.accountExists("no-such-account-\(UUID().uuidString.prefix(8))"))
    }
}
