#if canImport(Glibc)
    import Glibc
#endif

/// Checks IANA zone names against the installed tz database (`$TZDIR` or /usr/share/zoneinfo).
enum TimeZoneNames {
    /// Whether `name` is `UTC` or a zone file in the tz database.
    static func exists(_ name: String) -> Bool {
        if name == "UTC" || name == "Etc/UTC" { return true }
        // Only Area/City-like names: no absolute paths, no "..", no odd characters.
        let allowed = name.utf8.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "/") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
        }
        guard allowed, !name.hasPrefix("/"), !name.contains(".."), !name.isEmpty else { return false }
        let dir = getenv("TZDIR").map { String(cString: $0) } ?? "/usr/share/zoneinfo"
        var info = stat()
        guard stat(dir + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return true
    }
}
