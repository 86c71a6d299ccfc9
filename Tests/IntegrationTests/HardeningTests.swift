import Foundation
import Testing

/// Issue 13's defects seen from outside: the daemon under a descriptor limit, a routine file that
/// cannot be read, and `validate` on things that are not routine files.
@Suite(.timeLimit(.minutes(2))) struct HardeningTests {
    /// Opens `count` Unix connections that never send anything (non-blocking connects; some may wait
    /// in the backlog).
    static func idleConnections(_ socketPath: String, count: Int) -> [Int32] {
        (0..<count).compactMap { _ in
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) {
                $0.copyBytes(from: Array(socketPath.utf8).prefix($0.count - 1))
            }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            return fd
        }
    }

    /// User + system CPU seconds of a process so far.
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// With descriptors exhausted, `accept` failed in a loop at ~95 % CPU and nothing answered. Here
    /// the cap is set above the descriptor limit on purpose, so accept does run out.
    @Test func acceptSpinsWhenDescriptorsRunOut() throws {
        let daemon = try DaemonProcess(routines: ["quick.json": DaemonIntegrationTests.waitOne])
        try #"{"api": {"maxConnections": 1000}}"#.write(
            toFile: daemon.dir.path + "/config.json", atomically: true, encoding: .utf8)
        daemon.extraArguments = ["--config", daemon.dir.path + "/config.json"]
        daemon.fileLimit = 64
        try daemon.start()
        let pid = try #require(daemon.process?.processIdentifier)
        let connections = Self.idleConnections(daemon.socket, count: 150)
        defer { for fd in connections { close(fd) } }
        Thread.sleep(forTimeInterval: 0.5)  // let the daemon reach the limit
        let before = try Self.cpuSeconds(pid)
        let start = Date()
        Thread.sleep(forTimeInterval: 1)
        let cpu = (try Self.cpuSeconds(pid) - before) / Date().timeIntervalSince(start)
        #expect(cpu < 0.1, "the daemon used \(Int(cpu * 100)) % CPU while out of descriptors")
        let status = try daemon.cli(["status"])
        #expect(status.status == 0, "\(status.stderr)")
    }

    /// A routine file saved while the daemon could not read it stayed "cannot read" for good: a
    /// read error is now tried again (1 s, doubling), though inotify reports nothing more. The
    /// error is real: reading /proc/self/mem at offset 0 fails with EIO; the link's target outside the
    /// watched folder then changes without any event in it.
    @Test func routineReadErrorIsNeverRetried() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let target = daemon.dir.path + "/target.json"
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: "/proc/self/mem")
        // Moved into place, as editors save: the watcher hears of it once.
        try FileManager.default.createSymbolicLink(
            atPath: daemon.routines + "/.later.json.tmp", withDestinationPath: target)
        #expect(rename(daemon.routines + "/.later.json.tmp", daemon.routines + "/later.json") == 0)
        try waitUntil("the read error is reported") { daemon.log.contains("later.json: cannot read the file") }
        try FileManager.default.removeItem(atPath: target)
        try DaemonIntegrationTests.waitOne.write(toFile: target, atomically: true, encoding: .utf8)
        try waitUntil("the routine loads without a new file event", timeout: 10) {
            daemon.log.contains("loaded routine later")
        }
    }

    /// `validate` blocked forever on a FIFO named x.json and grew to gigabytes on a link to /dev/zero.
    @Test func validateReadsAnything() throws {
        let dir = try TempDir()
        #expect(mkfifo(dir.path + "/fifo.json", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/zero.json", withDestinationPath: "/dev/zero")
        try FileManager.default.createDirectory(atPath: dir.path + "/dir.json", withIntermediateDirectories: false)
        let started = Date()
        // The folder: each *.json in it, the directory named dir.json too.
        let fifo = try CLI.run(["validate", dir.path])
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(fifo.status != 0)
        #expect(
            fifo.stdout.contains("fifo.json: cannot read: it is a FIFO (named pipe), not a regular file"),
            "\(fifo.stdout)")
        #expect(fifo.stdout.contains("zero.json: cannot read: it is a character device, not a regular file"))
        #expect(fifo.stdout.contains("dir.json: cannot read: it is a directory, not a regular file"))
    }

    /// A 10 MB unknown key took 56 s in `validate`: it is now refused by size at once.
    @Test func tenMegabyteUnknownKeyValidatesQuickly() throws {
        let dir = try TempDir()
        let key = String(repeating: "k", count: 10_000_000)
        try "{\"\(key)\": 1, \"triggers\": [{\"startup\": true}], \"actions\": [{\"wait\": \"1s\"}]}"
            .write(toFile: dir.path + "/big.json", atomically: true, encoding: .utf8)
        let started = Date()
        let result = try CLI.run(["validate", dir.path + "/big.json"])
        // A whole process on a shared machine: the bound is loose; the defect took 56 s. The figure
        // (bench, release build) is in docs/BENCHMARKS.md.
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(result.stdout.contains("larger than 1 MiB"), "\(result.stdout)")
        #expect(result.stdout.count < 400)
    }
}
