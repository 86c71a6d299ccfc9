import ArgumentParser

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
    let text = line + "\n"
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}
