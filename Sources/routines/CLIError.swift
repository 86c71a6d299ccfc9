import ArgumentParser
import CommandSupport
import SystemIO

/// A one-line error for the user; printed as `routines: MESSAGE` with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    try? FileDescriptor.standardError.writeAll(Array((line + "\n").utf8))
}
