/// Why speech could not be synthesized, worded for the person who wrote the routine.
public enum SpeechError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libespeak-ng could not start: its data folder is missing or unreadable.
    case libraryUnavailable(dataPath: String?, reason: String)
    /// espeak-ng knows no voice of that name; `suggestions` are close matches from its own list.
    case unknownVoice(String, suggestions: [String])
    /// The text is empty or only white space: there is nothing to say.
    case emptyText
    /// The text is longer than `maximumTextLength` characters (it would hold up every other
    /// announcement while it is synthesized).
    case textTooLong(characters: Int)
    /// The rate is outside what espeak-ng supports.
    case rateOutOfRange(Int)
    /// The pitch is outside 0–100.
    case pitchOutOfRange(Int)
    /// The volume is outside 0–200.
    case volumeOutOfRange(Int)
    /// libespeak-ng failed while synthesizing `text`; `reason` is the library's own message.
    case synthesisFailed(text: String, function: String, reason: String)

    /// Most characters one announcement may have (about ten minutes of speech).
    public static let maximumTextLength = 10_000
    /// Words per minute espeak-ng accepts (`espeakRATE_MINIMUM`…`espeakRATE_MAXIMUM`).
    public static let rateRange = 80...450
    /// Base pitch espeak-ng accepts (50 is normal).
    public static let pitchRange = 0...100
    /// Amplitude espeak-ng accepts (100 is normal).
    public static let volumeRange = 0...200

    public var description: String {
        switch self {
        case .libraryUnavailable(let path, let reason):
            let folder = path.map { " (data folder \($0))" } ?? ""
            return "cannot start libespeak-ng\(folder): \(reason); install espeak-ng-data or set ESPEAK_DATA_PATH"
        case .unknownVoice(let name, let suggestions):
            return Self.unknownVoiceMessage(name, suggestions: suggestions)
        case .emptyText:
            return "nothing to say: the announcement text is empty"
        case .textTooLong(let characters):
            let limit = Self.maximumTextLength
            return "the announcement text has \(characters) characters; at most \(limit) can be spoken at once"
        case .rateOutOfRange(let rate):
            return "rate \(rate) is out of range: espeak-ng speaks \(Self.span(Self.rateRange)) words per minute"
        case .pitchOutOfRange(let pitch):
            return "pitch \(pitch) is out of range: use \(Self.span(Self.pitchRange)) (50 is normal)"
        case .volumeOutOfRange(let volume):
            return "volume \(volume) is out of range: use \(Self.span(Self.volumeRange)) (100 is normal)"
        case .synthesisFailed(let text, let function, let reason):
            return "espeak-ng could not speak \(Self.quoted(text)): \(function): \(reason)"
        }
    }

    /// `unknown voice 'englsh'; did you mean 'en', 'en-gb', 'en-us'?`
    static func unknownVoiceMessage(_ name: String, suggestions: [String]) -> String {
        let base = "unknown voice '\(name)'"
        guard !suggestions.isEmpty else {
            return base + "; `espeak-ng --voices` lists the voices installed"
        }
        return base + "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: ", ") + "?"
    }

    /// `80–450`.
    private static func span(_ range: ClosedRange<Int>) -> String {
        "\(range.lowerBound)–\(range.upperBound)"
    }

    /// The text, shortened so an error line stays readable.
    private static func quoted(_ text: String) -> String {
        let limit = 60
        return text.count <= limit ? "'\(text)'" : "'\(text.prefix(limit))…'"
    }
}
