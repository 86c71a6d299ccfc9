import Testing

@Suite struct RoutineModelPlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
