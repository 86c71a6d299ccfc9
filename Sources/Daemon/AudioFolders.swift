import CLinux
import Engine
import Glibc

/// Opens `play` and `chime` names inside the audio folders, in order, never outside them: no
/// absolute paths, no `..`, and no symbolic link that leads out of its folder. The file is opened
/// once, beneath its folder (`openat2` with `RESOLVE_BENEATH`; where the kernel lacks it, each
/// component with `O_NOFOLLOW`), checked with `fstat` to be a regular file, and that descriptor is
/// what the player decodes: swapping the file for a link between check and play changes nothing.
public struct AudioFolders: AudioFileLocator {
    /// Folders searched in order (the user's first, the shipped `Audio/` last).
    public let folders: [String]
    /// Resolution without `openat2` (kernels before 5.6, or a seccomp filter refusing it); for tests.
    let componentWise: Bool

    public init(folders: [String]) {
        self.init(folders: folders, componentWise: false)
    }

    init(folders: [String], componentWise: Bool) {
        self.folders = folders
        self.componentWise = componentWise
    }

    public func open(_ name: String) throws -> OpenedSoundFile {
        if name.hasPrefix("/") || name.split(separator: "/").contains("..") || name.isEmpty || name.utf8.contains(0) {
            throw EngineError("'\(name)' is not a file name inside the audio folders")
        }
        for folder in folders {
            // The folder itself is configured, not named by a routine: a link to it is fine.
            let directory = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { continue }
            defer { close(directory) }
            let fd = openBeneath(directory, name)
            guard fd >= 0 else {
                switch errno {
                case ENOENT, ENOTDIR: continue
                case EXDEV:
                    throw EngineError(
                        "'\(name)' in \(folder) leads outside the audio folder (symbolic link); refusing to play it")
                case ELOOP:
                    throw EngineError(
                        "'\(name)' in \(folder) is a symbolic link that cannot be followed safely here; refusing to play it"
                    )
                default:
                    throw EngineError("cannot open '\(name)' in \(folder): \(String(cString: strerror(errno)))")
                }
            }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw EngineError("'\(name)' in \(folder) is not a regular file; only sound files can be played")
            }
            return OpenedSoundFile(path: (folder.hasSuffix("/") ? folder : folder + "/") + name, descriptor: fd)
        }
        let searched =
            folders.isEmpty ? "no audio folders are configured" : "searched " + folders.joined(separator: ", ")
        throw EngineError("sound file '\(name)' not found (\(searched))")
    }

    /// O_NONBLOCK: a FIFO must not block the open (it is refused right after, by fstat).
    private static let flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK

    private func openBeneath(_ directory: Int32, _ name: String) -> Int32 {
        if !componentWise {
            let fd = routines_open_beneath(directory, name, Self.flags)
            if fd >= 0 || (errno != ENOSYS && errno != EPERM) { return fd }
        }
        // Each component opened below the previous one without following links (any link refused).
        let components = name.split(separator: "/").map(String.init).filter { $0 != "." }
        var current = dup(directory)
        for (index, component) in components.enumerated() {
            let last = index == components.count - 1
            let next = openat(
                current, component, last ? Self.flags | O_NOFOLLOW : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var saved = errno
            if next < 0 && saved == ENOTDIR {
                // O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR: report it as the link it is.
                var info = stat()
                if fstatat(current, component, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK {
                    saved = ELOOP
                }
            }
            close(current)
            guard next >= 0 else {
                errno = saved
                return -1
            }
            current = next
        }
        return current
    }
}
