// Next-fire throughput for a mix of cron, `at` and `sun` triggers (Europe/Berlin, starts spread
// over 2025). Run through bench/schedule/run.sh, which also times Python's croniter on the same
// cron next-fires and compares the answers.
//
// Usage: ScheduleBench [--seconds S] [--workload FILE]
//   --workload FILE  writes the cron expressions, start instants and our answers as JSON.
import Foundation
import RoutineModel
import Schedule

let zone = "Europe/Berlin"
let berlin = Location(latitude: 52.52, longitude: 13.405)
let cronTexts = [
    "*/5 * * * *", "0 7 * * mon-fri", "30 2 * * *", "0 0 1 * *", "15 10 * jan,jul *", "0 */2 * * *",
    "0 9-17 * * 1-5", "0 0 29 2 *", "0 12 13 * fri", "30 8 * * sat,sun",
]
let atTriggers: [TriggerKind] = [
    .at(TimeOfDay(hour: 7, minute: 0), days: [.mon, .tue, .wed, .thu, .fri]),
    .at(TimeOfDay(hour: 22, minute: 30), days: nil),
    .at(TimeOfDay(hour: 2, minute: 30), days: [.sun]),
]
let sunTriggers: [TriggerKind] = [.sun(.sunrise, offset: .seconds(-15 * 60)), .sun(.sunset, offset: .zero)]

var secondsPerRun = 1.0
var workloadPath: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--seconds": secondsPerRun = Double(arguments.popFirst() ?? "") ?? secondsPerRun
    case "--workload": workloadPath = arguments.popFirst()
    default:
        print("usage: ScheduleBench [--seconds S] [--workload FILE]")
        exit(2)
    }
}

@MainActor func make(_ kinds: [TriggerKind]) -> [TriggerSchedule] {
    kinds.map { kind in
        do {
            return try TriggerSchedule(trigger: Trigger(kind: kind), defaultTimeZone: zone, location: berlin)
        } catch {
            print("cannot schedule \(kind): \(error)")
            exit(1)
        }
    }
}

let cronSchedules = make(cronTexts.map { .cron(TestCron.parse($0)) })
let atSchedules = make(atTriggers)
let sunSchedules = make(sunTriggers)

// Deterministic start instants over 2025 (a linear congruential generator, whole seconds).
var state: UInt64 = 0x2025
let yearStart = 1_735_689_600  // 2025-01-01T00:00:00Z
let starts: [Date] = (0..<2000).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Date(timeIntervalSince1970: Double(yearStart + Int(state >> 33) % (365 * 86_400)))
}

/// Calls `nextFire` for every (schedule, start) pair until `secondsPerRun` has passed; returns calls per second.
@MainActor func measure(_ name: String, _ schedules: [TriggerSchedule]) -> Double {
    let clock = ContinuousClock()
    var calls = 0
    var sink = 0.0
    let begin = clock.now
    var elapsed = Duration.zero
    repeat {
        for start in starts {
            for schedule in schedules {
                sink += schedule.nextFire(after: start)?.timeIntervalSince1970 ?? 0
            }
        }
        calls += starts.count * schedules.count
        elapsed = clock.now - begin
    } while elapsed < .seconds(secondsPerRun)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(calls) / seconds
    print(
        "\(name): \(Int(rate)) next-fires/s (\(calls) calls in \(String(format: "%.2f", seconds)) s, check \(Int(sink) % 1000))"
    )
    return rate
}

let mixRate = measure("swift mix (10 cron, 3 at, 2 sun)", cronSchedules + atSchedules + sunSchedules)
let cronRate = measure("swift cron", cronSchedules)
_ = measure("swift at", atSchedules)
_ = measure("swift sun", sunSchedules)
print("RESULT mix=\(Int(mixRate)) cron=\(Int(cronRate))")

if let workloadPath {
    // Our answers for the cron part, for the croniter comparison.
    let fires = cronSchedules.map { schedule in
        starts.map { schedule.nextFire(after: $0).map { Int($0.timeIntervalSince1970) } ?? -1 }
    }
    let object: [String: Any] = [
        "zone": zone, "expressions": cronTexts, "starts": starts.map { Int($0.timeIntervalSince1970) }, "fires": fires,
    ]
    do {
        let data = try JSONSerialization.data(withJSONObject: object)
        try data.write(to: URL(fileURLWithPath: workloadPath))
    } catch {
        print("cannot write \(workloadPath): \(error)")
        exit(1)
    }
}
