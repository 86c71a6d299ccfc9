import FoundationEssentials
import SystemIO

/// A sound file opened once, inside the audio folders (`AudioFileLocator.open`). The descriptor whose
/// checks passed (reached without leaving the folder, a regular file) is the one the player decodes,
/// so a file swapped for a link between check and play cannot be played. Owns the descriptor and
/// closes it when the last reference goes.
public final class OpenedSoundFile: Sendable, Equatable, CustomStringConvertible {
    /// Where it was found, for messages.
    public let path: String
    /// The open descriptor (read-only, close-on-exec); -1 for a file that was never opened (test fakes).
    public let descriptor: Int32

    /// Takes ownership of `descriptor`.
    public init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Opens a file named directly by its caller (tests, benchmarks): links are followed.
    public convenience init(opening path: String) throws {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path: path, .readOnly, options: .noControllingTerminal)
        } catch {
            throw EngineError("cannot open \(path): \(error.errno)")
        }
        self.init(path: path, descriptor: fd.rawValue)
    }

    deinit {
        if descriptor >= 0 { FileDescriptor(rawValue: descriptor).closeQuietly() }
    }

    public var description: String { path }

    public static func == (a: OpenedSoundFile, b: OpenedSoundFile) -> Bool {
        a === b || (a.path == b.path && a.descriptor == b.descriptor)
    }
}
