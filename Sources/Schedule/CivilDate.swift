/// Proleptic Gregorian calendar arithmetic on whole days, after Howard Hinnant's
/// `days_from_civil` / `civil_from_days`: integer-only, exact for any year, no allocation.
///
/// Day numbers count from 1970-01-01 (day 0), so `days * 86_400` is a Unix time at midnight UTC.
/// Schedule math uses these "local seconds" (a wall time read as if it were UTC) everywhere and
/// converts to real instants only through a zone's offset periods.
enum CivilDate {
    /// Days from 1970-01-01 to `year-month-day`.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar date of day number `days`.
    static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Weekday of day number `days`, cron numbering (0 = Sunday … 6 = Saturday).
    static func weekday(days: Int) -> Int {
        let w = (days + 4) % 7  // 1970-01-01 was a Thursday
        return w < 0 ? w + 7 : w
    }

    /// Whether `year` has a 29 February.
    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Number of days in `month` (1–12) of `year`.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, for splitting (possibly negative) seconds into days.
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// A wall-clock reading split into fields; `localSeconds` is the reading as if it were UTC.
struct LocalFields {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    var days: Int

    init(localSeconds: Int) {
        let days = CivilDate.floorDiv(localSeconds, 86_400)
        let secondOfDay = localSeconds - days * 86_400
        let date = CivilDate.date(days: days)
        self.year = date.year
        self.month = date.month
        self.day = date.day
        self.hour = secondOfDay / 3600
        self.minute = secondOfDay / 60 % 60
        self.second = secondOfDay % 60
        self.days = days
    }
}
