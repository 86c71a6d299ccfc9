import Testing

@Suite struct IntegrationPlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
