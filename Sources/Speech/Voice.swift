/// One voice espeak-ng has installed (an entry of `espeak-ng --voices`).
public struct Voice: Sendable, Equatable {
    /// A language the voice speaks, with espeak-ng's preference for it.
    public struct Language: Sendable, Equatable {
        /// Language code with optional dialect qualifiers: `en`, `en-us`, `en-gb-scotland`.
        public var code: String
        /// Lower is more preferred for this language (espeak-ng's priority byte).
        public var priority: Int

        /// Creates a language entry.
        public init(code: String, priority: Int) {
            self.code = code
            self.priority = priority
        }
    }

    /// The gender espeak-ng records for a voice.
    public enum Gender: String, Sendable, Equatable {
        case unspecified, male, female, neutral
    }

    /// The voice's given name, such as `English (America)`.
    public var name: String
    /// The voice file within `espeak-ng-data/voices` or `lang`, such as `gmw/en-US`.
    public var identifier: String
    /// The languages it speaks, the one it is made for first.
    public var languages: [Language]
    /// Its gender.
    public var gender: Gender

    /// Creates a voice entry.
    public init(name: String, identifier: String, languages: [Language], gender: Gender = .unspecified) {
        self.name = name
        self.identifier = identifier
        self.languages = languages
        self.gender = gender
    }

    /// What to write in a routine's `"voice"` to get this voice: its first language code.
    public var code: String {
        languages.first?.code ?? identifier
    }
}
