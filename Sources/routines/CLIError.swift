import ArgumentParser
import CommandSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A one-line error for the user; printed as `routines: MESSAGE` with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    writeAll(2, Array((line + "\n").utf8))
}
