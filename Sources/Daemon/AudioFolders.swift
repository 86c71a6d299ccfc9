import Engine
import Glibc

/// Resolves `play` and `chime` names inside the audio folders, in order, never outside them:
/// no absolute paths, no `..`, and no symbolic link that leads out of its folder.
public struct AudioFolders: AudioFileLocator {
    /// Folders searched in order (the user's first, the shipped `Audio/` last).
    public let folders: [String]

    public init(folders: [String]) {
        self.folders = folders
    }

    public func resolve(_ name: String) throws -> String {
        if name.hasPrefix("/") || name.split(separator: "/").contains("..") || name.isEmpty {
            throw EngineError("'\(name)' is not a file name inside the audio folders")
        }
        for folder in folders {
            guard let root = Self.realPath(folder) else { continue }
            let candidate = root + "/" + name
            guard let resolved = Self.realPath(candidate) else { continue }
            guard resolved.hasPrefix(root + "/") else {
                throw EngineError("'\(name)' in \(folder) leads outside the audio folder (symbolic link); refusing to play it")
            }
            var info = stat()
            guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            return resolved
        }
        let searched = folders.isEmpty ? "no audio folders are configured" : "searched " + folders.joined(separator: ", ")
        throw EngineError("sound file '\(name)' not found (\(searched))")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
