/// Everything that determines the samples of one utterance; the key of the synthesis cache.
public struct SpeechRequest: Sendable, Hashable {
    /// Plain text (not SSML), UTF-8.
    public var text: String
    /// An espeak-ng voice name, identifier or language, as `espeak-ng -v` accepts it (`en`, `en-us`, `de+f3`).
    public var voice: String
    /// Words per minute, 80–450 (espeak-ng's default is 175).
    public var rate: Int
    /// Base pitch 0–100 (50 is normal).
    public var pitch: Int
    /// Amplitude 0–200 (100 is normal).
    public var volume: Int

    /// Creates a request; the defaults are espeak-ng's own.
    public init(text: String, voice: String = "en", rate: Int = 175, pitch: Int = 50, volume: Int = 100) {
        self.text = text
        self.voice = voice
        self.rate = rate
        self.pitch = pitch
        self.volume = volume
    }

    /// Checks the request before it reaches the library.
    func validate() throws(SpeechError) {
        if text.allSatisfy(\.isWhitespace) { throw .emptyText }
        if text.count > SpeechError.maximumTextLength { throw .textTooLong(characters: text.count) }
        if voice.allSatisfy(\.isWhitespace) { throw .unknownVoice(voice, suggestions: []) }
        if !SpeechError.rateRange.contains(rate) { throw .rateOutOfRange(rate) }
        if !SpeechError.pitchRange.contains(pitch) { throw .pitchOutOfRange(pitch) }
        if !SpeechError.volumeRange.contains(volume) { throw .volumeOutOfRange(volume) }
    }
}
