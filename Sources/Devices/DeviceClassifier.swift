import Engine

/// Decides a Bluetooth device's kind from what BlueZ reports: Icon, Class of Device and UUIDs.
public enum DeviceClassifier {
    static let a2dpSink = "0000110b-0000-1000-8000-00805f9b34fb"
    static let hsp = "00001108-0000-1000-8000-00805f9b34fb"
    static let hspAudioGateway = "00001112-0000-1000-8000-00805f9b34fb"
    static let hfp = "0000111e-0000-1000-8000-00805f9b34fb"

    /// `headphones`, `headset`, `speaker` or `other`.
    public static func kind(icon: String?, deviceClass: UInt32?, uuids: [String]) -> DeviceKind {
        switch icon {
        case "audio-headphones": return .headphones
        case "audio-headset": return .headset
        case "audio-speakers", "audio-card": return .speaker
        default: break
        }
        if let deviceClass, (deviceClass >> 8) & 0x1F == 0x04 {
            // Major class audio/video; minor class in bits 2–7.
            switch (deviceClass >> 2) & 0x3F {
            case 1, 2: return .headset
            case 6: return .headphones
            case 5, 7, 8, 10, 11: return .speaker
            default: break
            }
        }
        let lower = Set(uuids.map { $0.lowercased() })
        let voice = lower.contains(hsp) || lower.contains(hfp)
        if voice && lower.contains(a2dpSink) { return .headset }
        if voice { return .headset }
        if lower.contains(a2dpSink) { return .headphones }
        return .other
    }
}
