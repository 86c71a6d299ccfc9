import Engine
import Foundation
import RoutineModel
import Synchronization
import Testing

@testable import Speech

/// The Wyoming client against byte-exact answers, well-formed and malformed, from a loopback socket
/// (the real server is exercised end to end in `SpeechEngineEndToEndTests`).
@Suite struct WyomingProtocolTests {
    /// Accepts one connection on a free loopback port, reads the request event, answers `reply`
    /// (nil: says nothing and keeps the connection open until the test ends), then closes.
    final class ScriptedServer: @unchecked Sendable {
        // @unchecked: `request` is written by the server thread before `done` is signalled.
        let port: Int
        private let listener: Int32
        private(set) var request: [UInt8] = []
        let done = DispatchSemaphore(value: 0)

        init(reply: [UInt8]?) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            listener = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard ok else { throw POSIXError(.EADDRINUSE) }
            port = Int(UInt16(bigEndian: address.sin_port))
            Thread { [self] in
                let client = accept(fd, nil, nil)
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = recv(client, &buffer, buffer.count, 0)
                request = Array(buffer.prefix(max(0, count)))
                if let reply {
                    _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    close(client)
                } else {
                    // Silent: wait until the client gives up.
                    _ = recv(client, &buffer, buffer.count, 0)
                    close(client)
                }
                done.signal()
            }.start()
        }

        deinit { close(listener) }

        func engine(timeout: Duration = .seconds(5)) -> WyomingSynthesizer {
            WyomingSynthesizer(
                name: "piper",
                config: SpeechEngineConfig(host: "127.0.0.1", port: port, connectTimeout: .seconds(2), timeout: timeout)
            )
        }
    }

    /// One event's bytes: header with `data_length`/`payload_length`, data, payload.
    static func event(_ type: String, data: String = "", payload: [UInt8] = [], inline: String? = nil) -> [UInt8] {
        var header = "{\"type\":\"\(type)\""
        if let inline { header += ",\"data\":\(inline)" }
        if !data.isEmpty { header += ",\"data_length\":\(data.utf8.count)" }
        if !payload.isEmpty { header += ",\"payload_length\":\(payload.count)" }
        return Array((header + "}\n").utf8) + Array(data.utf8) + payload
    }

    /// Runs `speak` to the end: the chunks, and the fallback reason if there was one.
    static func speak(_ engine: WyomingSynthesizer, voice: String? = "en_US-joe-medium") throws
        -> (chunks: [PCMSamples], fallback: WyomingError?)
    {
        let stream = SpeechStream()
        let reason = Mutex<WyomingError?>(nil)
        engine.speak("Hello there.", voice: voice, into: stream) { error in
            reason.withLock { $0 = error }
            stream.finish()
        }
        var chunks: [PCMSamples] = []
        while let chunk = try stream.next() { chunks.append(chunk) }
        return (chunks, reason.withLock { $0 })
    }

    @Test func chunksArriveWithTheirFormatAndTheRequestIsWellFormed() throws {
        let format = #"{"rate": 16000, "width": 2, "channels": 2}"#
        let reply =
            Self.event("audio-start", data: format)
            + Self.event("audio-chunk", data: format, payload: [0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F])
            // Older servers put the data inline in the header.
            + Self.event("audio-chunk", payload: [0x10, 0x00, 0x20, 0x00], inline: format)
            + Self.event("audio-stop")
        let server = try ScriptedServer(reply: reply)
        let (chunks, fallback) = try Self.speak(server.engine())
        #expect(fallback == nil)
        #expect(chunks.map(\.samples) == [[1, -1, -32768, 32767], [16, 32]])
        #expect(chunks.allSatisfy { $0.sampleRate == 16_000 && $0.channels == 2 })
        server.done.wait()
        let request = String(decoding: server.request, as: UTF8.self)
        let lines = request.split(separator: "\n", maxSplits: 1).map(String.init)
        let header = try JSONParser.parse(Array(lines[0].utf8)).value
        #expect(header["type"]?.stringValue == "synthesize")
        let data = try JSONParser.parse(Array(lines[1].utf8)).value
        #expect(header["data_length"]?.numberValue == Double(lines[1].utf8.count))
        #expect(data["text"]?.stringValue == "Hello there.")
        #expect(data["voice"]?["name"]?.stringValue == "en_US-joe-medium")
    }

    @Test func theServersDefaultVoiceSendsNoVoice() throws {
        let server = try ScriptedServer(reply: Self.event("audio-stop"))
        _ = try Self.speak(server.engine(), voice: nil)
        server.done.wait()
        #expect(!String(decoding: server.request, as: UTF8.self).contains("voice"))
    }

    @Test(arguments: [
        ("not json\n", WyomingError.Kind.malformed, "not JSON"),
        ("{\"data_length\": 2}\n{}", .malformed, "without a \"type\""),
        ("{\"type\": \"audio-chunk\", \"payload_length\": 99999999999}\n", .malformed, "payload_length"),
        ("{\"type\": \"audio-chunk\", \"data_length\": 3}\n[1]", .malformed, "not a JSON object"),
        (
            "{\"type\": \"audio-chunk\", \"data\": {\"width\": 2}, \"payload_length\": 3}\nabc", .malformed,
            "not whole 2-byte samples"
        ),
        ("{\"type\": \"audio-chunk\", \"data\": {\"rate\": 0}, \"payload_length\": 2}\nab", .unsupportedAudio, "rate"),
        (
            "{\"type\": \"error\", \"data\": {\"text\": \"en_US-x\", \"code\": \"VoiceNotFoundError\"}}\n",
            .serverError,
            "answered with an error: en_US-x (VoiceNotFoundError)"
        ),
        ("{\"type\": \"audio-start\"}\n", .closed, "closed the connection while we waited for the first audio chunk"),
        ("", .closed, "closed the connection"),
    ])
    func badAnswersBeforeTheFirstChunkFallBack(reply: String, kind: WyomingError.Kind, message: String) throws {
        let server = try ScriptedServer(reply: Array(reply.utf8))
        let (chunks, fallback) = try Self.speak(server.engine())
        #expect(chunks.isEmpty)
        #expect(fallback?.kind == kind)
        #expect(fallback?.description.contains(message) == true, "\(String(describing: fallback))")
        #expect(fallback?.description.hasPrefix("piper (tcp://127.0.0.1:\(server.port))") == true)
    }

    @Test func aFailureAfterTheFirstChunkEndsTheStreamWithTheError() throws {
        let server = try ScriptedServer(
            reply: Self.event(
                "audio-chunk", payload: [1, 0, 2, 0], inline: #"{"rate": 22050, "width": 2, "channels": 1}"#))
        let stream = SpeechStream()
        let fell = Mutex(false)
        server.engine().speak("Hi.", voice: nil, into: stream) { _ in fell.withLock { $0 = true } }
        #expect(try stream.next()?.samples == [1, 2])
        #expect(throws: WyomingError.self) { try stream.next() }
        #expect(!fell.withLock { $0 })
    }

    @Test func aSilentServerTimesOut() throws {
        let server = try ScriptedServer(reply: nil)
        let started = ContinuousClock.now
        let (_, fallback) = try Self.speak(server.engine(timeout: .milliseconds(100)))
        #expect(fallback?.kind == .timedOut)
        #expect(fallback?.description.contains("did not answer in time (waiting for the first audio chunk)") == true)
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func nobodyListeningCannotBeReached() throws {
        let server = try ScriptedServer(reply: [])
        let engine = WyomingSynthesizer(
            name: "piper", config: SpeechEngineConfig(host: "127.0.0.1", port: 1, connectTimeout: .seconds(1)))
        let (_, fallback) = try Self.speak(engine)
        #expect(fallback?.kind == .cannotConnect)
        #expect(fallback?.description.contains("cannot be reached") == true)
        _ = server
    }

    @Test func infoListsTheVoices() throws {
        let info =
            #"{"tts": [{"name": "piper", "voices": [{"name": "en_US-joe-medium", "languages": ["en_US"]}, {"name": "de_DE-thorsten-medium", "languages": ["de_DE"]}]}]}"#
        let server = try ScriptedServer(reply: Self.event("info", data: info))
        let voices = try server.engine().voices()
        #expect(
            voices == [
                WyomingVoice(name: "en_US-joe-medium", languages: ["en_US"]),
                WyomingVoice(name: "de_DE-thorsten-medium", languages: ["de_DE"]),
            ])
        server.done.wait()
        #expect(String(decoding: server.request, as: UTF8.self).hasPrefix(#"{"type":"describe""#))
    }

    @Test func samplesOfEveryWidthBecome16Bit() throws {
        #expect(try WyomingSynthesizer.samples([0, 128, 255], width: 1, server: "s") == [-32768, 0, 32512])
        #expect(try WyomingSynthesizer.samples([0x00, 0x34, 0x12], width: 3, server: "s") == [0x1234])
        #expect(try WyomingSynthesizer.samples([0x00, 0x00, 0xFF, 0x7F], width: 4, server: "s") == [32767])
    }

    @Test func fallbackVoicesFollowTheLanguage() async throws {
        let engines = SpeechEngines(config: SpeechConfig(), espeak: EspeakSynthesizer())
        #expect(await engines.espeakVoice(for: "en_US-joe-medium") == "en-us")
        #expect(await engines.espeakVoice(for: "de_DE-thorsten-medium").hasPrefix("de"))
        #expect(await engines.espeakVoice(for: "xx_YY-nobody") == "en")
        #expect(await engines.espeakVoice(for: nil) == "en")
    }
}
