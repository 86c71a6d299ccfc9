import RoutineModel

/// What conditions look at when a trigger fires.
struct ConditionContext: Sendable {
    var headphoneMode: Bool
    var local: LocalDateTime
    /// Upper-cased addresses of connected Bluetooth devices.
    var connected: Set<String>
}

/// Evaluates routine conditions (SPEC §3).
enum ConditionEvaluator {
    /// Whether all conditions hold.
    static func allHold(_ conditions: [Condition], in context: ConditionContext) -> Bool {
        conditions.allSatisfy { holds($0, in: context) }
    }

    /// Whether one condition holds.
    static func holds(_ condition: Condition, in context: ConditionContext) -> Bool {
        switch condition {
        case .headphoneMode(let on): return context.headphoneMode == on
        case .time(let after, let before):
            return inWindow(context.local.secondsOfDay, after: after?.secondsOfDay, before: before?.secondsOfDay)
        case .days(let days): return days.contains(context.local.weekday)
        case .connected(let address): return context.connected.contains(address.uppercased())
        case .not(let inner): return !holds(inner, in: context)
        case .any(let list): return list.contains { holds($0, in: context) }
        case .all(let list): return list.allSatisfy { holds($0, in: context) }
        }
    }

    /// `[after, before)`; a window whose end is not after its start crosses midnight
    /// (`22:00`–`06:30` holds at 23:00 and at 05:00). Equal bounds mean the whole day.
    static func inWindow(_ t: Int, after: Int?, before: Int?) -> Bool {
        switch (after, before) {
        case (nil, nil): return true
        case (let a?, nil): return t >= a
        case (nil, let b?): return t < b
        case (let a?, let b?):
            if a == b { return true }
            return a < b ? (t >= a && t < b) : (t >= a || t < b)
        }
    }
}
