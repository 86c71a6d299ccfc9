// Audio CPU benchmark (issues 4 and 5): CPU time per second of audio played at 48 kHz stereo with
// resampling from a 22,050 Hz mono file, and per 2 s keep-alive burst, through real ALSA into the
// `file` plugin (writing to /dev/null). Usage: AudioBench ASOUND_CONF PCM FILE22050
import Audio
import Engine
import Foundation
import RoutineModel

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    print("usage: AudioBench ASOUND_CONF PCM FILE22050")
    exit(2)
}
// CPU figures: unpaced, as on a real device (which blocks in snd_pcm_writei instead of being paced).
let player = OutputPlayer(output: "bench", pcm: arguments[2], configFile: arguments[1], linger: 5, maxLead: 1e9)
let file = arguments[3]
let seconds = 10.0

// Warm up (opens the PCM, loads libraries).
try await player.play([.silence(.milliseconds(100))], priority: .normal)

// Five plays of the 10 s file (streamed: decoded, resampled and converted a 50 ms block at a time);
// the machine is shared, so the median is reported with the range.
var perSecond: [Double] = []
for _ in 0..<5 {
    let start = cpuSeconds()
    try await player.play([.file(try OpenedSoundFile(opening: file), gain: 0)], priority: .normal)
    perSecond.append((cpuSeconds() - start) / seconds * 1000)
}
perSecond.sort()
print(
    String(
        format:
            "file 22,050 Hz mono -> 48 kHz stereo (sinc resampling): %.2f ms CPU per second of audio (median of 5; %.2f-%.2f)",
        perSecond[2], perSecond[0], perSecond[4]))
var start = cpuSeconds()

let bursts = 50
start = cpuSeconds()
for _ in 0..<bursts {
    try await player.play([.keepAlive(KeepAliveSpec())], priority: .keepAlive)
}
let perBurst = (cpuSeconds() - start) / Double(bursts)
print(
    String(
        format: "keep-alive burst (20 Hz, -42 dBFS, 2 s): %.3f ms CPU per burst (%d bursts)", perBurst * 1000, bursts))

// Cancel -> the player has stopped (its last frame written, the device's queue dropped, the caller
// resumed): a 10 s tone on a real-time player, cancelled after a random 200-600 ms, 40 times.
let paced = OutputPlayer(output: "bench-paced", pcm: arguments[2], configFile: arguments[1], linger: 5)
try await paced.play([.silence(.milliseconds(100))], priority: .normal)
var stops: [Double] = []
for _ in 0..<40 {
    let playing = Task {
        try await paced.play([.tone(ToneSpec(frequency: 440, duration: .seconds(10)))], priority: .normal)
    }
    try await Task.sleep(for: .milliseconds(Int.random(in: 200...600)))
    let cancelled = ContinuousClock.now
    playing.cancel()
    _ = await playing.result
    let took = cancelled.duration(to: .now)
    stops.append(Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
}
stops.sort()
print(
    String(
        format:
            "cancel -> playing job stopped (last frame written, device queue dropped): median %.2f ms, p99 %.2f ms, max %.2f ms (%d cancels)",
        stops[stops.count / 2], stops[min(stops.count - 1, Int(Double(stops.count) * 0.99))], stops.last!, stops.count))
