// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "routines",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "routines", targets: ["routines"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // Pure Swift: the routine format, decoding, validation, durations, cron expressions.
        .target(name: "RoutineModel"),
        // Pure Swift: next-fire math for at / cron / sun triggers, time zones and DST.
        .target(name: "Schedule", dependencies: ["RoutineModel"]),
        // Pure Swift: the engine actor and the protocols it needs.
        .target(name: "Engine", dependencies: ["RoutineModel", "Schedule"]),

        // System libraries: module map + shim header only.
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        .systemLibrary(name: "CEspeakNG", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev"])]),

        // ALSA players, decoding, resampling, synthesis.
        .target(name: "Audio", dependencies: ["CALSA", "CSndFile", "CSampleRate", "RoutineModel"]),
        // The espeak-ng synthesizer, voice list and voice validation.
        .target(name: "Speech", dependencies: ["CEspeakNG", "Engine", "RoutineModel"]),

        // Benchmarks (bench/): synthesis latency against the espeak-ng command line.
        .executableTarget(name: "SpeechBench", dependencies: ["Speech", "Engine"], path: "bench/SpeechBench"),

        .executableTarget(
            name: "routines",
            dependencies: [
                "RoutineModel", "Schedule",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "ModelBench", dependencies: ["RoutineModel"], path: "bench/ModelBench"),
        // Next-fire benchmark (bench/schedule/run.sh compares it with Python's croniter).
        .executableTarget(name: "ScheduleBench", dependencies: ["Schedule", "RoutineModel"], path: "bench/ScheduleBench"),

        .testTarget(name: "RoutineModelTests", dependencies: ["RoutineModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScheduleTests", dependencies: ["Schedule", "RoutineModel"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "RoutineModel", "Schedule"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "RoutineModel"]),
        .testTarget(name: "SpeechTests", dependencies: ["Speech", "Engine", "RoutineModel"]),
        .testTarget(name: "IntegrationTests", dependencies: ["RoutineModel"]),
    ]
)
