import Devices
import Engine
import Testing

@Suite struct ClassifierTests {
    @Test func fromIcon() {
        #expect(DeviceClassifier.kind(icon: "audio-headphones", deviceClass: nil, uuids: []) == .headphones)
        #expect(DeviceClassifier.kind(icon: "audio-headset", deviceClass: nil, uuids: []) == .headset)
        #expect(DeviceClassifier.kind(icon: "audio-card", deviceClass: nil, uuids: []) == .speaker)
        #expect(DeviceClassifier.kind(icon: "phone", deviceClass: nil, uuids: []) == .other)
    }

    @Test func fromClassOfDevice() {
        // Major class audio/video (0x04), minor 6: headphones; 1: wearable headset; 5: loudspeaker.
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: 0x240418, uuids: []) == .headphones)
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: 0x240404, uuids: []) == .headset)
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: 0x240414, uuids: []) == .speaker)
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: 0x5A020C, uuids: []) == .other, "a phone")
    }

    @Test func fromUUIDs() {
        let a2dp = "0000110B-0000-1000-8000-00805F9B34FB"
        let hfp = "0000111e-0000-1000-8000-00805f9b34fb"
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: nil, uuids: [a2dp]) == .headphones)
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: nil, uuids: [a2dp, hfp]) == .headset)
        #expect(DeviceClassifier.kind(icon: nil, deviceClass: nil, uuids: []) == .other)
    }
}
