import FoundationEssentials
import MQTT
import RoutineModel

/// The secrets the config names by file: the TCP listener's bearer token (`http.tokenFile`) and the
/// MQTT broker's password (`mqtt.passwordFile`), read at start-up with errors naming the config key.
extension DaemonRuntime {
    /// The client's options from the config: the password read from `passwordFile`, the will.
    static func mqttOptions(_ mqtt: MQTTConfig, topics: MQTTTopics, configFile: String) throws -> MQTTClientOptions {
        var password: String?
        if let file = mqtt.passwordFile {
            let path =
                file.hasPrefix("~/") ? FileManager.default.homeDirectoryForCurrentUser.path + file.dropFirst() : file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DaemonStartError(
                    "\(configFile): mqtt.passwordFile: cannot read \(path); put the broker password for '\(mqtt.username ?? "")' in it"
                )
            }
            password = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .first.map { $0.trimmingWhiteSpace() }
        }
        let caFile = mqtt.caFile.map {
            $0.hasPrefix("~/") ? FileManager.default.homeDirectoryForCurrentUser.path + $0.dropFirst() : $0
        }
        return MQTTClientOptions(
            host: mqtt.host, port: mqtt.port, tls: mqtt.tls, caFile: caFile, username: mqtt.username,
            password: password,
            clientID: "routines-\(topics.node)", keepAlive: mqtt.keepAlive, will: MQTTBridge.will(topics),
            label: mqtt.url)
    }

    /// The TCP listener from `http`: host, port and the token read from `tokenFile` (at least 16
    /// characters; surrounding white space is not part of it).
    static func tcpListener(_ http: HTTPConfig, configFile: String) throws -> (host: String, port: Int, token: String) {
        guard let colon = http.listen.lastIndex(of: ":"),
            let port = Int(http.listen[http.listen.index(after: colon)...])
        else { throw DaemonStartError("\(configFile): http.listen: '\(http.listen)' is not HOST:PORT") }
        let host = String(http.listen[..<colon])
        var tokenPath = http.tokenFile
        if tokenPath.hasPrefix("~/") {
            // $HOME first, as a shell expands `~` (the account's home only when HOME is unset).
            let home =
                ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? FileManager.default.homeDirectoryForCurrentUser.path
            tokenPath = home + tokenPath.dropFirst()
        }
        guard let data = FileManager.default.contents(atPath: tokenPath) else {
            throw DaemonStartError(
                "\(configFile): http.tokenFile: cannot read \(tokenPath); the TCP listener needs a token (e.g. head -c 32 /dev/urandom | base64 > \(tokenPath))"
            )
        }
        let token = String(decoding: data, as: UTF8.self).trimmingWhiteSpace()
        guard token.count >= 16 else {
            throw DaemonStartError(
                "\(configFile): http.tokenFile: the token in \(tokenPath) is shorter than 16 characters")
        }
        return (host, port, token)
    }
}
