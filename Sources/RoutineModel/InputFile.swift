#if canImport(Glibc)
    import Glibc
#endif

/// Reads routine and config files within `InputLimits`: only regular files (a FIFO, a device or a
/// directory named `*.json` is refused, never read), and at most 1 MiB, refused by size before
/// anything is parsed. Used by `routines validate`, `routines next` and the daemon alike.
public enum InputFile {
    /// Why a file was not read; `message` is a phrase naming what is wrong and what to do.
    public struct Problem: Error, Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// No such file (a deleted routine).
            case missing
            /// Not a regular file, or too large: reading again will not help until the file changes.
            case refused
            /// open/read failed otherwise (descriptors exhausted, I/O error, permission): worth retrying.
            case unreadable
        }
        public var kind: Kind
        public var message: String
    }

    /// The whole file, or why it was not read.
    public static func read(_ path: String, limit: Int = InputLimits.maxFileBytes) -> Result<[UInt8], Problem> {
        // O_NONBLOCK: opening a FIFO must not wait for a writer. It changes nothing for regular files.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let code = errno
            return .failure(
                Problem(kind: code == ENOENT ? .missing : .unreadable, message: String(cString: strerror(code))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return .failure(Problem(kind: .unreadable, message: "fstat: " + String(cString: strerror(errno))))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(
                Problem(
                    kind: .refused,
                    message: "it is \(typeName(info.st_mode)), not a regular file; only regular files are read"))
        }
        guard Int(info.st_size) <= limit else {
            return .failure(Problem(kind: .refused, message: sizeMessage(Int(info.st_size), limit: limit)))
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(kind: .unreadable, message: "read: " + String(cString: strerror(errno))))
            }
            if got == 0 { break }
            count += got
            // The file grew while being read: never past the limit.
            if count == bytes.count && count <= limit {
                bytes += [UInt8](repeating: 0, count: min(limit + 1, 2 * count) - count)
            }
            if count > limit { return .failure(Problem(kind: .refused, message: sizeMessage(count, limit: limit))) }
        }
        bytes.removeLast(bytes.count - count)
        return .success(bytes)
    }

    static func sizeMessage(_ size: Int, limit: Int) -> String {
        let limitText = limit == InputLimits.maxFileBytes ? InputLimits.fileLimitText : "\(limit) bytes"
        return "the file is \(size) bytes, larger than \(limitText), the most a routine or config file may have"
    }

    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}
