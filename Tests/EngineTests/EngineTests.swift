import Testing

@Suite struct EnginePlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
