import RoutineModel
import SystemIO

/// Reads routine and config files within `InputLimits`: only regular files (a FIFO, a device or a
/// directory named `*.json` is refused, never read), and at most 1 MiB, refused by size before
/// anything is parsed. Used by `routines validate`, `routines next` and the daemon alike.
///
/// A module of its own, above RoutineModel and SystemIO: the model stays free of system calls (the
/// fuzz build compiles it alone with `swiftc`), and the reading goes through the system layer.
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

        public init(kind: Kind, message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// The whole file, or why it was not read.
    public static func read(_ path: String, limit: Int = InputLimits.maxFileBytes) -> Result<[UInt8], Problem> {
        let file: FileDescriptor
        do {
            // O_NONBLOCK: opening a FIFO must not wait for a writer. It changes nothing for regular files.
            file = try FileDescriptor.open(path: path, .readOnly, options: [.nonBlocking, .noControllingTerminal])
        } catch {
            return .failure(
                Problem(kind: error.errno == .noSuchFileOrDirectory ? .missing : .unreadable, message: "\(error.errno)")
            )
        }
        defer { file.closeQuietly() }
        let status: FileStatus
        do {
            status = try file.status(path: path)
        } catch {
            return .failure(Problem(kind: .unreadable, message: "fstat: \(error.errno)"))
        }
        guard status.kind == .regular else {
            return .failure(
                Problem(
                    kind: .refused,
                    message: "it is \(typeName(status.kind)), not a regular file; only regular files are read"))
        }
        guard status.size <= limit else {
            return .failure(Problem(kind: .refused, message: InputLimits.sizeMessage(Int(status.size), limit: limit)))
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.size) + 1)
        var count = 0
        while count < bytes.count {
            let read: Int
            do {
                read = try bytes.withUnsafeMutableBytes { buffer in
                    try file.readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]), path: path)
                }
            } catch {
                // `withUnsafeMutableBytes` rethrows untyped: the error is the SystemCallError thrown inside.
                let reason = (error as? SystemCallError)?.errno.description ?? "\(error)"
                return .failure(Problem(kind: .unreadable, message: "read: \(reason)"))
            }
            if read == 0 { break }
            count += read
            // The file grew while being read: never past the limit.
            if count == bytes.count && count <= limit {
                bytes += [UInt8](repeating: 0, count: min(limit + 1, 2 * count) - count)
            }
            if count > limit {
                return .failure(Problem(kind: .refused, message: InputLimits.sizeMessage(count, limit: limit)))
            }
        }
        bytes.removeLast(bytes.count - count)
        return .success(bytes)
    }

    static func typeName(_ kind: FileKind) -> String {
        switch kind {
        case .directory: return "a directory"
        case .fifo: return "a FIFO (named pipe)"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .socket: return "a socket"
        default: return "not a regular file"
        }
    }
}
