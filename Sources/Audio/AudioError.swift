import CALSA

/// An audio failure a user can act on: which output and PCM, which C call, and the library's words.
public struct AudioError: Error, Sendable, CustomStringConvertible, Equatable {
    public var output: String
    public var pcm: String
    public var function: String
    public var message: String

    public init(output: String, pcm: String, function: String, message: String) {
        self.output = output
        self.pcm = pcm
        self.function = function
        self.message = message
    }

    /// From an ALSA error code (negative errno).
    init(output: String, pcm: String, function: String, code: Int32) {
        self.init(output: output, pcm: pcm, function: function, message: String(cString: snd_strerror(code)))
    }

    public var description: String {
        "output '\(output)' (ALSA PCM '\(pcm)'): \(function): \(message)"
    }
}
