import CommandSupport
import RoutineFiles
import RoutineModel
import SystemIO

/// A problem reading a path named on the command line.
struct FileProblem: Error {
    var message: String
}

/// Reads a whole file; the error names what failed the way `cat` would.
func readFileBytes(_ path: String) -> Result<[UInt8], FileProblem> {
    do throws(SystemCallError) {
        let fd = try FileDescriptor.open(path: path, .readOnly)
        defer { fd.closeQuietly() }
        return .success(try fd.readToEnd(path: path))
    } catch {
        return .failure(FileProblem(message: "\(error.errno)"))
    }
}

/// The routine files a path stands for: the file itself, or a folder's routine files sorted by name.
func routineFiles(at path: String) -> Result<[String], FileProblem> {
    guard CommandPaths.isDirectory(path) else {
        do {
            _ = try FileKind.of(path)
        } catch {
            return .failure(FileProblem(message: "\(error.errno)"))
        }
        return .success([path])
    }
    return directoryEntries(path).map { names in
        let base = path.hasSuffix("/") ? path : path + "/"
        return names.filter { $0.hasSuffix(".json") && !RoutineFileName.isIgnored($0) }.map { base + $0 }
    }
}

/// The names in a folder, sorted, without hidden (`.`) entries.
func directoryEntries(_ folder: String) -> Result<[String], FileProblem> {
    do {
        return .success(try FileSystem.entries(of: folder))
    } catch {
        return .failure(FileProblem(message: "\(error.errno)"))
    }
}

/// Reads and decodes one routine file; read failures become a diagnostic naming the file.
func loadRoutineFile(_ file: String, config: Config?) -> DecodeResult<Routine> {
    switch InputFile.read(file) {
    case .success(let bytes):
        return RoutineDecoder.decode(bytes, file: file, config: config)
    case .failure(let problem):
        return DecodeResult(
            value: nil, diagnostics: [Diagnostic(file: file, message: "cannot read: \(problem.message)")])
    }
}

/// Reads and decodes a config file.
func loadConfigFile(_ file: String) -> DecodeResult<Config> {
    switch InputFile.read(file) {
    case .success(let bytes):
        return ConfigDecoder.decode(bytes, file: file)
    case .failure(let problem):
        return DecodeResult(
            value: nil, diagnostics: [Diagnostic(file: file, message: "cannot read: \(problem.message)")])
    }
}
