import RoutineModel

/// Cron text for tests and the benchmark, through the real parser in RoutineModel.
enum TestCron {
    /// Parses cron text; a malformed expression in a test is a programming error.
    static func parse(_ text: String) -> CronExpression {
        do {
            return try CronExpression(parsing: text)
        } catch {
            preconditionFailure("test cron '\(text)': \(error.message)")
        }
    }
}
