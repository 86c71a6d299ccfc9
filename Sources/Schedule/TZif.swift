/// The contents of a TZif file (RFC 8536) that schedule math needs: when the offset changes and to what.
///
/// Reads the 64-bit (v2+) section when present, else the v1 section, and the POSIX footer that
/// describes every instant after the table. Leap-second records are skipped: system zones
/// (`/usr/share/zoneinfo`, not `right/`) have none.
struct TZif: Sendable, Equatable {
    /// UTC instants (seconds) at which the offset changes, ascending.
    var transitions: [Int]
    /// `offsets[i]` is in effect from `transitions[i]` until the next transition (east-positive seconds).
    var offsets: [Int]
    /// The offset before the first transition (time type 0).
    var initialOffset: Int
    /// The POSIX TZ footer (`CET-1CEST,M3.5.0,M10.5.0/3`), for instants after the last transition.
    var footer: PosixTimeZone?

    /// Why bytes are not a usable TZif file.
    struct FormatError: Error, Equatable {
        var reason: String
    }

    /// Parses the bytes of a TZif file.
    init(bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes: bytes)
        let header = try reader.header()
        guard header.version >= 2 else {
            (transitions, offsets, initialOffset) = try reader.body(header, timeSize: 4)
            footer = nil
            return
        }
        try reader.skip(header.bodySize(timeSize: 4))
        let header64 = try reader.header()
        (transitions, offsets, initialOffset) = try reader.body(header64, timeSize: 8)
        footer = try reader.footer()
    }
}

/// The six counts of a TZif header.
private struct TZifHeader {
    var version: Int
    var isutcnt: Int, isstdcnt: Int, leapcnt: Int, timecnt: Int, typecnt: Int, charcnt: Int

    func bodySize(timeSize: Int) -> Int {
        timecnt * (timeSize + 1) + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    var index = 0

    mutating func skip(_ count: Int) throws(TZif.FormatError) {
        guard count >= 0, index + count <= bytes.count else { throw TZif.FormatError(reason: "file is truncated") }
        index += count
    }

    mutating func byte() throws(TZif.FormatError) -> UInt8 {
        guard index < bytes.count else { throw TZif.FormatError(reason: "file is truncated") }
        defer { index += 1 }
        return bytes[index]
    }

    /// A big-endian two's-complement integer of `size` bytes.
    mutating func integer(size: Int) throws(TZif.FormatError) -> Int {
        guard index + size <= bytes.count else { throw TZif.FormatError(reason: "file is truncated") }
        var value: UInt64 = 0
        for i in 0..<size { value = value << 8 | UInt64(bytes[index + i]) }
        index += size
        if size < 8, value & (1 << UInt64(size * 8 - 1)) != 0 { value |= ~0 << UInt64(size * 8) }
        return Int(Int64(bitPattern: value))
    }

    mutating func header() throws(TZif.FormatError) -> TZifHeader {
        guard bytes.count >= index + 44, bytes[index..<index + 4].elementsEqual("TZif".utf8) else {
            throw TZif.FormatError(reason: "not a TZif file (no \"TZif\" magic)")
        }
        let versionByte = bytes[index + 4]
        let version = versionByte == 0 ? 1 : Int(versionByte) - Int(UInt8(ascii: "0"))
        try skip(20)
        var counts: [Int] = []
        for _ in 0..<6 { counts.append(try integer(size: 4)) }
        guard counts.allSatisfy({ $0 >= 0 }), counts[4] >= 1 else {
            throw TZif.FormatError(reason: "bad header counts")
        }
        return TZifHeader(
            version: version, isutcnt: counts[0], isstdcnt: counts[1], leapcnt: counts[2], timecnt: counts[3],
            typecnt: counts[4], charcnt: counts[5])
    }

    mutating func body(_ header: TZifHeader, timeSize: Int) throws(TZif.FormatError) -> ([Int], [Int], Int) {
        // Check the counts against the file before reserving memory for them.
        guard header.bodySize(timeSize: timeSize) <= bytes.count - index else {
            throw TZif.FormatError(reason: "file is truncated")
        }
        var times: [Int] = []
        times.reserveCapacity(header.timecnt)
        for _ in 0..<header.timecnt { times.append(try integer(size: timeSize)) }
        var typeIndices: [Int] = []
        typeIndices.reserveCapacity(header.timecnt)
        for _ in 0..<header.timecnt { typeIndices.append(Int(try byte())) }
        var typeOffsets: [Int] = []
        for _ in 0..<header.typecnt {
            let offset = try integer(size: 4)
            // RFC 8536: offsets lie within −24:59:59…+25:59:59; schedule math relies on that bound.
            guard (-89_999...93_599).contains(offset) else {
                throw TZif.FormatError(reason: "UTC offset \(offset) s is out of range")
            }
            typeOffsets.append(offset)
            try skip(2)  // isdst, abbreviation index
        }
        try skip(header.charcnt + header.leapcnt * (timeSize + 4) + header.isstdcnt + header.isutcnt)
        var offsets: [Int] = []
        offsets.reserveCapacity(header.timecnt)
        for typeIndex in typeIndices {
            guard typeIndex < typeOffsets.count else { throw TZif.FormatError(reason: "bad local time type index") }
            offsets.append(typeOffsets[typeIndex])
        }
        for i in times.indices.dropFirst() where times[i] <= times[i - 1] {
            throw TZif.FormatError(reason: "transition times are not ascending")
        }
        return (times, offsets, typeOffsets[0])
    }

    mutating func footer() throws(TZif.FormatError) -> PosixTimeZone? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\n") else { return nil }
        guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw TZif.FormatError(reason: "footer is not terminated")
        }
        let text = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
        if text.isEmpty { return nil }  // no rule: the last table entry holds forever
        guard let rule = PosixTimeZone(parsing: text) else {
            throw TZif.FormatError(reason: "cannot read the POSIX footer \"\(text)\"")
        }
        return rule
    }
}
