import RoutineModel

// Decode + validate benchmark (issue 2): 10,000 generated routine files, read from disk and
// decoded, must take ≤ 1 s in total on a 2-core machine.
#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU seconds used by this process (user + system).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// One generated routine, varied by `i` so files differ in shape and size.
func routineText(_ i: Int) -> String {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    let trigger: String
    switch i % 6 {
    case 0:
        trigger =
            #"{ "at": "\#(format2(i % 24)):\#(format2(i % 60))", "days": ["\#(days[i % 7])", "\#(days[(i + 2) % 7])"] }"#
    case 1: trigger = #"{ "cron": "\#(i % 60) \#(i % 24) * * 1-5", "catchUp": "30m", "id": "c\#(i)" }"#
    case 2: trigger = #"{ "every": "\#(1 + i % 90)m", "jitter": "10s" }"#
    case 3: trigger = #"{ "event": "device.connected", "match": { "kind": ["headphones", "headset"] } }"#
    case 4: trigger = #"{ "idle": "headphones", "for": "4m" }"#
    default: trigger = #"{ "sun": "sunset", "offset": "-\#(i % 50)m", "timezone": "Europe/Berlin" }"#
    }
    return """
        {
          "description": "Generated routine number \(i) for the decode benchmark",
          "enabled": \(i % 5 != 0),
          "mode": "\(["single", "restart", "queued", "parallel"][i % 4])",
          "triggers": [
            \(trigger),
            { "event": "bench.\(i % 100)" }
          ],
          "conditions": [
            { "any": [ { "headphoneMode": true }, { "time": { "after": "22:00", "before": "06:30" } } ] },
            { "not": { "days": ["sun"] } }
          ],
          "actions": [
            { "play": "chime.wav", "gain": -6 },
            { "tone": { "frequency": \(200 + i % 800), "duration": "250ms", "level": -18, "fade": "10ms", "waveform": "sine" } },
            { "announce": "Routine \(i) at {time} on {weekday}.", "voice": "en", "rate": 170 },
            { "wait": "1s" },
            { "keepAlive": { "signal": "pink", "level": -45, "duration": "2s" } },
            { "emit": "bench.done", "data": { "n": \(i), "ok": true } }
          ]
        }
        """
}

func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
var template = Array("/tmp/routines-bench-XXXXXX".utf8CString)
guard let dirPointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
    fatalError("mkdtemp failed")
}
let dir = String(cString: dirPointer)
var paths: [String] = []
var totalBytes = 0
for i in 0..<count {
    let path = "\(dir)/routine-\(i).json"
    let bytes = Array(routineText(i).utf8)
    totalBytes += bytes.count
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    paths.append(path)
}

func readAll(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var info = stat()
    fstat(fd, &info)
    var buffer = [UInt8](repeating: 0, count: Int(info.st_size))
    _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return buffer
}

var best = Double.infinity
var bestCPU = Double.infinity
var invalid = 0
for _ in 0..<3 {
    let start = now()
    let cpuStart = cpuSeconds()
    invalid = 0
    for path in paths {
        let result = RoutineDecoder.decode(readAll(path), file: path)
        if result.value == nil { invalid += 1 }
    }
    best = min(best, now() - start)
    bestCPU = min(bestCPU, cpuSeconds() - cpuStart)
}
for path in paths { unlink(path) }
rmdir(dir)

print("decode+validate: \(count) files, \(totalBytes / 1024) KiB, best of 3")
print("  wall \(Int(best * 1000)) ms (\(Int(Double(count) / best)) files/s), CPU \(Int(bestCPU * 1000)) ms, one thread")
print("  invalid files: \(invalid) (expected 0)")
print("  target: <= 1000 ms -> \(best <= 1.0 ? "MET" : "NOT MET")")
if invalid != 0 { exit(1) }
