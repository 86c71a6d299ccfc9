// swift-tools-version: 6.0
import PackageDescription

#if canImport(Glibc)
    import Glibc

    /// Whether the C library of the machine that builds (and runs) the binaries applies packed
    /// relative relocations: glibc 2.36 (Debian 12) and later. A binary linked with them does not
    /// start on an older one (Ubuntu 22.04 has 2.35), so there the relocations stay unpacked.
    let glibcHasRELR: Bool = {
        // confstr(_CS_GNU_LIBC_VERSION) says "glibc 2.36".
        var buffer = [CChar](repeating: 0, count: 64)
        guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return false }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let version = text.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
        return version.count >= 2 && (version[0], version[1]) >= (2, 36)
    }()
#else
    let glibcHasRELR = false
#endif

/// How both executables link (debug and release alike, so the tests run what users get): with lld,
/// relative relocations packed where glibc can (`-z pack-relative-relocs`, DT_RELR: 20 KB of
/// relocations instead of 2.3 MB, read and applied at every start) and no symbol table for `dlsym`
/// (the toolchain's static-stdlib flags export every symbol: 1.1 MB of `.dynsym`/`.dynstr` nobody
/// looks up). Idle RSS and start-up figures in docs/BENCHMARKS.md (issue 18).
let productLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "--no-export-dynamic"]
            + (glibcHasRELR ? ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] : []))
]

let package = Package(
    name: "routines",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "routines", targets: ["routines"]),
        .executable(name: "routines-daemon", targets: ["routines-daemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // Pure Swift: the routine format, decoding, validation, durations, cron expressions.
        .target(name: "RoutineModel"),
        // Routine and config files read within the input limits, through the system layer (the model
        // itself makes no system calls: fuzz/ compiles it alone).
        .target(name: "RoutineFiles", dependencies: ["RoutineModel", "SystemIO"]),
        // Pure Swift: next-fire math for at / cron / sun triggers, time zones and DST.
        .target(name: "Schedule", dependencies: ["RoutineModel"]),
        // Pure Swift (FoundationEssentials): the control API's contract, shared by the daemon, the CLI
        // and the MQTT bridge: Codable requests and replies, the route table, typed errors.
        .target(name: "ControlAPI", dependencies: ["RoutineModel"]),
        // Pure Swift: the engine actor and the protocols it needs.
        .target(
            name: "Engine",
            dependencies: [
                "RoutineModel", "Schedule", "SystemIO", .product(name: "CoreMetrics", package: "swift-metrics"),
            ]),

        // System libraries: module map + shim header only.
        .systemLibrary(name: "CLinux"),
        // The only module that makes raw system calls: swift-system's FileDescriptor and Errno, and
        // what Linux adds beside them (inotify, timerfd, eventfd, poll, Unix sockets, openat2).
        .target(
            name: "SystemIO", dependencies: ["CLinux", .product(name: "SystemPackage", package: "swift-system")]),
        // One dedicated, named thread as a Swift executor: what every part that blocks or owns a C
        // handle runs on (players, the timer, the watchers, speech).
        .target(
            name: "ThreadExecutor",
            dependencies: ["SystemIO", .product(name: "SystemPackage", package: "swift-system")]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The BlueZ watcher over sd-bus.
        .target(name: "Devices", dependencies: ["CSystemd", "SystemIO", "Engine", "ThreadExecutor"]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // Headers only: the library is opened on first use (see its shim.h); libsndfile1-dev from apt.
        .systemLibrary(name: "CSndFile"),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        // Headers only: the library is opened on first use (see its shim.h); libespeak-ng-dev from apt.
        .systemLibrary(name: "CEspeakNG"),
        // libpulse (libpulse-dev from apt); no pkgConfig: its flags (-pthread) are ones SwiftPM refuses.
        .systemLibrary(name: "CPulse"),

        // The state database (libsqlite3-dev from apt); only the daemon's store imports it.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Headers only: the library is opened on first use (see its shim.h); libmosquitto-dev from apt.
        .systemLibrary(name: "CMosquitto"),
        // The MQTT client: libmosquitto driven on a thread of its own.
        .target(name: "MQTT", dependencies: ["CMosquitto", "SystemIO", "ThreadExecutor"]),

        // ALSA players, decoding, resampling, synthesis.
        .target(
            name: "Audio",
            dependencies: [
                "CALSA", "CSndFile", "CSampleRate", "SystemIO", "RoutineModel", "Engine", "ThreadExecutor",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]),
        // PipeWire/PulseAudio through libpulse: sink outputs, the sinks' activity, sink discovery.
        .target(
            name: "AudioServer",
            dependencies: [
                "CPulse", "SystemIO", "Audio", "Engine", "RoutineModel", "ThreadExecutor",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]),
        // The espeak-ng synthesizer, voice list and voice validation.
        .target(name: "Speech", dependencies: ["CEspeakNG", "Engine", "RoutineModel", "SystemIO", "ThreadExecutor"]),

        // Benchmarks (bench/): synthesis latency against the espeak-ng command line.
        .executableTarget(name: "SpeechBench", dependencies: ["Speech", "Engine"], path: "bench/SpeechBench"),

        // The daemon: services, control API, routine store, SQLite state, timerfd wall clock.
        .target(
            name: "Daemon",
            dependencies: [
                "RoutineModel", "RoutineFiles", "Schedule", "Engine", "Speech", "Devices", "MQTT", "SystemIO", "CLinux",
                "ControlAPI", "ThreadExecutor", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Shared by the two executables: the daemon's options and where the shipped files are.
        .target(
            name: "CommandSupport",
            dependencies: ["SystemIO", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // The daemon executable (`routines daemon` execs it), so the client stays lean.
        .executableTarget(
            name: "routines-daemon",
            dependencies: [
                "Daemon", "Audio", "AudioServer", "Devices", "Engine", "RoutineModel", "RoutineFiles", "Speech",
                "CommandSupport", "SystemIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: productLinking
        ),

        .executableTarget(
            name: "routines",
            dependencies: [
                "RoutineModel", "RoutineFiles", "Schedule", "CommandSupport", "SystemIO", "ControlAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: productLinking
        ),

        .executableTarget(
            name: "AudioBench", dependencies: ["Audio", "Engine", "RoutineModel"], path: "bench/AudioBench"),
        .executableTarget(name: "ModelBench", dependencies: ["RoutineModel"], path: "bench/ModelBench"),
        // Next-fire benchmark (bench/schedule/run.sh compares it with Python's croniter).
        .executableTarget(
            name: "ScheduleBench", dependencies: ["Schedule", "RoutineModel"], path: "bench/ScheduleBench"),

        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO"]),
        .testTarget(
            name: "ThreadExecutorTests",
            dependencies: ["ThreadExecutor", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(
            name: "RoutineModelTests", dependencies: ["RoutineModel", "RoutineFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ScheduleTests", dependencies: ["Schedule", "RoutineModel"]),
        // The route table called in process (no socket), and docs/openapi.yaml kept in step with it.
        .testTarget(name: "ControlAPITests", dependencies: ["ControlAPI", "RoutineModel"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "RoutineModel", "Schedule"]),
        // Test support: Goertzel, levels and steps of captured samples (used by two test targets).
        .target(name: "SignalMeasure", path: "Tests/SignalMeasure"),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "Engine", "RoutineModel", "SignalMeasure", "Speech"]),
        // Test support: a private PipeWire (or PulseAudio) started by the tests.
        .target(name: "AudioServerHarness", dependencies: ["SignalMeasure"], path: "Tests/AudioServerHarness"),
        .testTarget(
            name: "AudioServerTests",
            dependencies: ["AudioServer", "Audio", "Engine", "RoutineModel", "SignalMeasure", "AudioServerHarness"]),
        .testTarget(name: "SpeechTests", dependencies: ["Speech", "Engine", "RoutineModel"]),
        // Test support: BlueZ on a private D-Bus through python-dbusmock (used by two test targets).
        .target(name: "BlueZMock", path: "Tests/BlueZMock"),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Engine", "BlueZMock"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "ControlAPI", "Engine", "RoutineModel", "Schedule", "Speech",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // State files written by earlier versions (see SQLiteStateStoreTests).
            exclude: ["Fixtures"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["RoutineModel", "BlueZMock", "SignalMeasure", "AudioServerHarness"]),
    ]
)
