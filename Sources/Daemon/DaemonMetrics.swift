import CoreMetrics
import Engine
import Prometheus

/// The daemon's metrics, exported in Prometheus text by `GET /metrics`. The engine and the audio
/// layer record theirs through swift-metrics (runs, bursts, ALSA errors and underruns, the
/// trigger-to-first-frame histogram); this is where the backend is set up and the daemon's own
/// counters live.
enum DaemonMetrics {
    /// The Prometheus backend, with latency buckets fit for milliseconds-scale audio starts.
    static func factory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["routines_trigger_to_first_frame_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500),
        ]
        return factory
    }

    /// A routine file was read again after a change: `applied`, `invalid` (kept the last valid
    /// version, if any) or `removed`.
    static func reload(_ result: String) {
        Counter(label: "routines_reloads_total", dimensions: [("result", result)]).increment()
    }

    /// A Bluetooth device connected or disconnected.
    static func deviceEvent(_ event: String, _ device: DeviceInfo) {
        Counter(label: "routines_device_events_total", dimensions: [("event", event), ("kind", device.kind.rawValue)])
            .increment()
    }

    /// Sets the gauges that are read at request time, then renders the whole registry.
    static func render(
        _ registry: PrometheusCollectorRegistry, headphoneMode: Bool, loaded: Int, invalid: Int, running: Int,
        outputsActive: [(String, Bool)]
    ) -> [UInt8] {
        Gauge(label: "routines_headphone_mode").record(headphoneMode ? 1 : 0)
        Gauge(label: "routines_routines_loaded").record(loaded)
        Gauge(label: "routines_invalid_files").record(invalid)
        Gauge(label: "routines_running_runs").record(running)
        for (output, active) in outputsActive {
            Gauge(label: "routines_output_active", dimensions: [("output", output)]).record(active ? 1 : 0)
        }
        return registry.emitToBuffer()
    }
}
