import Testing

@Suite struct AudioPlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
