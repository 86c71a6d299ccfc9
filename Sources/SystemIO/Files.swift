import CLinux
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What kind of file a path or descriptor names (`st_mode & S_IFMT`).
public enum FileKind: Sendable, Equatable {
    case regular, directory, symbolicLink, socket, fifo, characterDevice, blockDevice, other

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFSOCK: self = .socket
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .other
        }
    }

    /// The kind of file at `path` (`stat`, or `lstat` when `followingLinks` is false).
    public static func of(_ path: String, followingLinks: Bool = true) throws(SystemCallError) -> FileKind {
        var info = stat()
        if followingLinks {
            _ = try retryingInterrupts("stat", path: path) { stat(path, &info) }
        } else {
            _ = try retryingInterrupts("lstat", path: path) { lstat(path, &info) }
        }
        return FileKind(mode: info.st_mode)
    }

    /// Whether something exists at `path` (`access(F_OK)`, following links).
    public static func exists(_ path: String) -> Bool {
        (try? retryingInterrupts("access", path: path) { access(path, F_OK) }) != nil
    }

    /// The folder holding `path` (`/run/dbus/system_bus_socket` → `/run/dbus`, `/x` → `/`).
    public static func folder(of path: String) -> String {
        FilePath(path).removingLastComponent().string
    }
}

/// What `fstat` says of an open file, as far as the project needs it.
public struct FileStatus: Sendable, Equatable {
    public var kind: FileKind
    /// Bytes (`st_size`).
    public var size: Int64
}

/// Files and folders: removal and creation, with errors that name the call and the path.
public enum FileSystem {
    /// Removes the file (not a folder) at `path` (`unlink`).
    public static func remove(_ path: String) throws(SystemCallError) {
        _ = try retryingInterrupts("unlink", path: path) { unlink(path) }
    }

    /// Creates the folder `path` with `permissions` (`mkdir`); an existing one is fine when
    /// `existingIsFine`.
    public static func makeFolder(
        _ path: String, permissions: FilePermissions, existingIsFine: Bool = true
    ) throws(SystemCallError) {
        do {
            _ = try retryingInterrupts("mkdir", path: path) { mkdir(path, permissions.rawValue) }
        } catch  where existingIsFine && error.errno == .fileExists {
            return
        }
    }

    /// Creates the folder `path` and the folders above it that are missing (`mkdir -p`), each new one
    /// with `permissions`.
    public static func makeFolders(_ path: String, permissions: FilePermissions) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            try makeFolder(prefix, permissions: permissions)
            prefix += "/"
        }
    }

    /// Where the symbolic link at `path` points (`readlink`).
    public static func linkTarget(_ path: String) throws(SystemCallError) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try retryingInterrupts("readlink", path: path) {
            buffer.withUnsafeMutableBytes {
                readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
            }
        }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Renames `source` to `destination`, replacing it atomically (`rename`).
    public static func rename(_ source: String, to destination: String) throws(SystemCallError) {
        _ = try retryingInterrupts("rename", path: destination) { Glibc.rename(source, destination) }
    }

    /// Sets the process's file-creation mask (`umask`); returns the previous one.
    @discardableResult
    public static func setCreationMask(_ mask: FilePermissions) -> FilePermissions {
        FilePermissions(rawValue: umask(mask.rawValue))
    }
}

extension FileDescriptor {
    /// Opens `path` (`open`, always with O_CLOEXEC); the error names the path.
    public static func open(
        path: String, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions? = nil
    ) throws(SystemCallError) -> FileDescriptor {
        let flags = mode.rawValue | options.union(.closeOnExec).rawValue
        let fd = try retryingInterrupts("open", path: path) {
            Glibc.open(path, flags, permissions?.rawValue ?? 0)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Opens `path` relative to this folder (`openat`, always with O_CLOEXEC).
    public func open(
        relative path: String, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions? = nil
    ) throws(SystemCallError) -> FileDescriptor {
        let flags = mode.rawValue | options.union(.closeOnExec).rawValue
        let fd = try retryingInterrupts("openat", path: path) {
            openat(rawValue, path, flags, permissions?.rawValue ?? 0)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Opens `path` beneath this folder and never outside it (`openat2` with `RESOLVE_BENEATH |
    /// RESOLVE_NO_MAGICLINKS`, always with O_CLOEXEC): a `..` or symbolic link that would leave the
    /// folder fails with EXDEV, a /proc magic link with ELOOP; kernels before 5.6 say ENOSYS (and a
    /// seccomp filter may say EPERM).
    public func open(beneath path: String, _ mode: AccessMode, options: OpenOptions = []) throws(SystemCallError)
        -> FileDescriptor
    {
        let flags = mode.rawValue | options.union(.closeOnExec).rawValue
        let fd = try retryingInterrupts("openat2", path: path) { routines_open_beneath(rawValue, path, flags) }
        return FileDescriptor(rawValue: fd)
    }

    /// The kind and size of the file this descriptor is open on (`fstat`); `path` only names the
    /// file in the error.
    public func status(path: String? = nil) throws(SystemCallError) -> FileStatus {
        var info = Glibc.stat()
        _ = try retryingInterrupts("fstat", path: path) { Glibc.fstat(rawValue, &info) }
        return FileStatus(kind: FileKind(mode: info.st_mode), size: Int64(info.st_size))
    }

    /// The kind of file this descriptor is open on (`fstat`).
    public func kind() throws(SystemCallError) -> FileKind {
        try status().kind
    }

    /// The kind of file `name` in this folder is, links not followed (`fstatat` with
    /// AT_SYMLINK_NOFOLLOW).
    public func kind(ofEntry name: String) throws(SystemCallError) -> FileKind {
        var info = Glibc.stat()
        _ = try retryingInterrupts("fstatat", path: name) { Glibc.fstatat(rawValue, name, &info, AT_SYMLINK_NOFOLLOW) }
        return FileKind(mode: info.st_mode)
    }

    /// A second descriptor for the same open file (`dup`, with O_CLOEXEC).
    public func duplicated() throws(SystemCallError) -> FileDescriptor {
        FileDescriptor(
            rawValue: try retryingInterrupts("fcntl(F_DUPFD_CLOEXEC)") { fcntl(rawValue, F_DUPFD_CLOEXEC, 0) })
    }

    /// Reads until the end of the file (`read`); `path` only names the file in the error.
    public func readToEnd(path: String? = nil) throws(SystemCallError) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try retryingInterrupts("read", path: path) {
                buffer.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    /// Reads what is there, at most `buffer.count` bytes (`read`); 0 at the end of the file.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer, path: String? = nil) throws(SystemCallError)
        -> Int
    {
        try retryingInterrupts("read", path: path) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `bytes`, however many calls that takes (`write`); `path` only names the file in
    /// the error.
    public func writeAll(_ bytes: [UInt8], path: String? = nil) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            offset += try retryingInterrupts("write", path: path) {
                bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, $0.count - offset) }
            }
        }
    }

    /// Flushes the file's data to the disk (`fsync`).
    public func synchronize(path: String? = nil) throws(SystemCallError) {
        _ = try retryingInterrupts("fsync", path: path) { fsync(rawValue) }
    }

    /// Closes the descriptor, ignoring errors: after `close` the descriptor is gone whatever it
    /// says (Linux never retries one), and there is nothing a caller could do about it.
    public func closeQuietly() {
        _ = Glibc.close(rawValue)
    }
}

extension FileSystem {
    /// The names in a folder, sorted, without hidden (`.`) entries (`opendir`, `readdir`).
    public static func entries(of folder: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(folder) else {
            throw SystemCallError("opendir", path: folder, errno: Errno(rawValue: Glibc.errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }
}

extension FileDescriptor.OpenOptions {
    /// A terminal opened is not made the process's controlling terminal (`O_NOCTTY`).
    public static var noControllingTerminal: Self { Self(rawValue: O_NOCTTY) }
}

extension FileSystem {
    /// Throws unless this process may read `path` (`access` with R_OK).
    public static func checkReadable(_ path: String) throws(SystemCallError) {
        _ = try retryingInterrupts("access", path: path) { access(path, R_OK) }
    }
}
