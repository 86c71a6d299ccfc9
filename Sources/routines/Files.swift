import CommandSupport
import RoutineModel

#if canImport(Glibc)
    import Glibc
#endif

/// A problem reading a path named on the command line.
struct FileProblem: Error {
    var message: String
}

/// Reads a whole file; the error names what failed the way `cat` would.
func readFileBytes(_ path: String) -> Result<[UInt8], FileProblem> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        return .failure(FileProblem(message: String(cString: strerror(errno))))
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failure(FileProblem(message: String(cString: strerror(errno))))
        }
        if count == 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return .success(bytes)
}

/// The routine files a path stands for: the file itself, or a folder's routine files sorted by name.
func routineFiles(at path: String) -> Result<[String], FileProblem> {
    guard CommandPaths.isDirectory(path) else {
        var info = stat()
        if stat(path, &info) != 0 {
            return .failure(FileProblem(message: String(cString: strerror(errno))))
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
    guard let dir = opendir(folder) else {
        return .failure(FileProblem(message: String(cString: strerror(errno))))
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if !name.hasPrefix(".") { names.append(name) }
    }
    return .success(names.sorted())
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
