import Testing
@Suite struct DaemonPlaceholder { @Test func ok() { #expect(Bool(true)) } }
