#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// NOAA's solar position algorithm (the Global Monitoring Laboratory's sunrise/sunset calculator,
/// after Meeus, "Astronomical Algorithms"): good to about a minute between ±72° latitude.
enum SolarPosition {
    /// Sun altitude at rise and set: −0.833° (34′ of refraction plus 16′ of the sun's radius).
    static let riseSetZenith = 90.833

    /// Minutes after 00:00 UTC of day number `days` (days since 1970-01-01) at which the sun rises
    /// (`rising`) or sets at the place; may be negative or above 1440 far from Greenwich.
    /// Nil when the sun does not cross the horizon that day (polar day or night).
    static func eventMinutesUTC(rising: Bool, days: Int, latitude: Double, longitude: Double) -> Double? {
        let midnight = Double(days) + 2_440_587.5  // Julian day at 00:00 UTC
        guard let first = eventMinutes(rising: rising, julianDay: midnight, latitude: latitude, longitude: longitude)
        else { return nil }
        // Second pass at the event's own instant, as NOAA's calculator does.
        return eventMinutes(
            rising: rising, julianDay: midnight + first / 1440, latitude: latitude, longitude: longitude)
    }

    private static func eventMinutes(rising: Bool, julianDay: Double, latitude: Double, longitude: Double)
        -> Double?
    {
        let t = (julianDay - 2_451_545) / 36_525  // Julian centuries since J2000.0
        let sun = sunParameters(julianCentury: t)
        let latitudeRad = radians(latitude)
        let cosHourAngle =
            cos(radians(riseSetZenith)) / (cos(latitudeRad) * cos(sun.declination))
            - tan(latitudeRad) * tan(sun.declination)
        guard cosHourAngle >= -1, cosHourAngle <= 1 else { return nil }
        let hourAngle = degrees(acos(cosHourAngle)) * (rising ? 1 : -1)
        return 720 - 4 * (longitude + hourAngle) - sun.equationOfTime
    }

    /// The sun's declination (radians) and the equation of time (minutes).
    static func sunParameters(julianCentury t: Double) -> (declination: Double, equationOfTime: Double) {
        let meanLongitude = radians(
            (280.466_46 + t * (36_000.769_83 + t * 0.000_303_2)).truncatingRemainder(
                dividingBy: 360))
        let meanAnomaly = radians(357.529_11 + t * (35_999.050_29 - 0.000_153_7 * t))
        let eccentricity = 0.016_708_634 - t * (0.000_042_037 + 0.000_000_126_7 * t)
        let center =
            sin(meanAnomaly) * (1.914_602 - t * (0.004_817 + 0.000_014 * t))
            + sin(2 * meanAnomaly) * (0.019_993 - 0.000_101 * t) + sin(3 * meanAnomaly) * 0.000_289
        let trueLongitude = degrees(meanLongitude) + center
        let omega = radians(125.04 - 1934.136 * t)
        let apparentLongitude = radians(trueLongitude - 0.005_69 - 0.004_78 * sin(omega))
        let meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.000_59 - t * 0.001_813))) / 60) / 60
        let obliquity = radians(meanObliquity + 0.002_56 * cos(omega))
        let declination = asin(sin(obliquity) * sin(apparentLongitude))

        let y = tan(obliquity / 2) * tan(obliquity / 2)
        let equationOfTime =
            y * sin(2 * meanLongitude) - 2 * eccentricity * sin(meanAnomaly)
            + 4 * eccentricity * y * sin(meanAnomaly) * cos(2 * meanLongitude)
            - 0.5 * y * y * sin(4 * meanLongitude) - 1.25 * eccentricity * eccentricity * sin(2 * meanAnomaly)
        return (declination, 4 * degrees(equationOfTime))
    }

    static func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
    static func degrees(_ radians: Double) -> Double { radians * 180 / .pi }
}
