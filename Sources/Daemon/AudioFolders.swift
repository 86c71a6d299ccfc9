import Engine
import SystemIO

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
            guard let directory = try? FileDescriptor.open(path: folder, .readOnly, options: .directory) else {
                continue
            }
            defer { directory.closeQuietly() }
            let fd: FileDescriptor
            do {
                fd = try openBeneath(directory, name)
            } catch {
                switch error.errno {
                case .noSuchFileOrDirectory, .notDirectory: continue
                case .improperLink:
                    throw EngineError(
                        "'\(name)' in \(folder) leads outside the audio folder (symbolic link); refusing to play it")
                case .tooManySymbolicLinkLevels:
                    throw EngineError(
                        "'\(name)' in \(folder) is a symbolic link that cannot be followed safely here; refusing to play it"
                    )
                default:
                    throw EngineError("cannot open '\(name)' in \(folder): \(error.errno)")
                }
            }
            guard (try? fd.kind()) == .regular else {
                fd.closeQuietly()
                throw EngineError("'\(name)' in \(folder) is not a regular file; only sound files can be played")
            }
            return OpenedSoundFile(
                path: (folder.hasSuffix("/") ? folder : folder + "/") + name, descriptor: fd.rawValue)
        }
        let searched =
            folders.isEmpty ? "no audio folders are configured" : "searched " + folders.joined(separator: ", ")
        throw EngineError("sound file '\(name)' not found (\(searched))")
    }

    /// O_NONBLOCK: a FIFO must not block the open (it is refused right after, by fstat).
    private static let options: FileDescriptor.OpenOptions = [.noControllingTerminal, .nonBlocking]

    private func openBeneath(_ directory: FileDescriptor, _ name: String) throws(SystemCallError) -> FileDescriptor {
        if !componentWise {
            do {
                return try directory.open(beneath: name, .readOnly, options: Self.options)
            } catch  where error.errno != .noFunction && error.errno != .notPermitted {
                throw error
            } catch {
                // No openat2 here: component by component below.
            }
        }
        // Each component opened below the previous one without following links (any link refused).
        let components = name.split(separator: "/").map(String.init).filter { $0 != "." }
        var current = try directory.duplicated()
        for (index, component) in components.enumerated() {
            let last = index == components.count - 1
            let next: FileDescriptor
            do {
                next = try current.open(
                    relative: component, .readOnly,
                    options: last ? Self.options.union(.noFollow) : [.directory, .noFollow])
            } catch {
                // O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR: report it as the link it is.
                let link = error.errno == .notDirectory && (try? current.kind(ofEntry: component)) == .symbolicLink
                current.closeQuietly()
                throw link ? SystemCallError(error.call, path: error.path, errno: .tooManySymbolicLinkLevels) : error
            }
            current.closeQuietly()
            current = next
        }
        return current
    }
}
