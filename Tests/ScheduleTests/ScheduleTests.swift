import Testing

@Suite struct SchedulePlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
