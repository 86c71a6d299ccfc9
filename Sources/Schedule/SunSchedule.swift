import RoutineModel

/// Sunrise or sunset at a place, shifted by an offset.
///
/// The sun's instants do not depend on the zone, so DST needs no special rule here; a day without
/// the event (polar day or night) simply has no fire, and the search goes on to later days.
struct SunSchedule: Sendable {
    let rising: Bool
    /// Seconds added to the event (negative: before).
    let offset: Int
    let latitude: Double
    let longitude: Double

    /// How many days a search looks ahead before giving up (polar night lasts under 200 days
    /// at 80°; beyond the poles' half year nothing will come).
    static let searchDays = 400

    init(event: SunEvent, offset: Duration, location: Location) {
        rising = event == .sunrise
        let (seconds, attoseconds) = offset.components
        self.offset = Int(seconds) + Int((Double(attoseconds) / 1e18).rounded())
        latitude = location.latitude
        longitude = location.longitude
    }

    /// The event of solar day `days` (days since 1970-01-01, the UTC date near local noon) plus the
    /// offset, in whole UTC seconds; nil on a day without it.
    func fire(onDay days: Int) -> Int? {
        guard
            let minutes = SolarPosition.eventMinutesUTC(
                rising: rising, days: days, latitude: latitude, longitude: longitude)
        else { return nil }
        return days * 86_400 + Int((minutes * 60).rounded()) + offset
    }

    /// The first fire strictly after the UTC second `after`.
    func next(after: Int) -> Int? {
        // The event of solar day d lies between d's 00:00 UTC − 12.3 h and + 24.3 h (720 − 4·(longitude
        // + hour angle) − equation of time, in minutes), so day d − 2's fire is always before `after`.
        let first = CivilDate.floorDiv(after - offset, 86_400) - 1
        for day in first...(first + Self.searchDays) {
            if let fire = fire(onDay: day), fire > after { return fire }
        }
        return nil
    }
}
