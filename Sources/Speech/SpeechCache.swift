import Engine

/// The most recently used utterances, so a repeated announcement is served without synthesis.
///
/// Bounded by entry count and by total samples: one long text cannot pin a lot of memory.
struct SpeechCache: Sendable {
    /// Most entries kept.
    let capacity: Int
    /// Most samples kept over all entries (a single larger rendering is not cached).
    let sampleBudget: Int
    private var entries: [SpeechRequest: PCMSamples] = [:]
    /// Keys from least to most recently used.
    private var order: [SpeechRequest] = []
    private var samplesHeld = 0

    init(capacity: Int, sampleBudget: Int) {
        self.capacity = max(0, capacity)
        self.sampleBudget = max(0, sampleBudget)
    }

    /// Number of entries.
    var count: Int { entries.count }

    /// The cached samples for `request`, marking it most recently used.
    mutating func lookup(_ request: SpeechRequest) -> PCMSamples? {
        guard let found = entries[request] else { return nil }
        touch(request)
        return found
    }

    /// Stores `samples`, evicting the least recently used entries to stay within bounds.
    mutating func insert(_ samples: PCMSamples, for request: SpeechRequest) {
        guard capacity > 0, samples.samples.count <= sampleBudget else { return }
        if let old = entries.updateValue(samples, forKey: request) {
            samplesHeld -= old.samples.count
            touch(request)
        } else {
            order.append(request)
        }
        samplesHeld += samples.samples.count
        while entries.count > capacity || samplesHeld > sampleBudget, !order.isEmpty {
            let evicted = order.removeFirst()
            if let gone = entries.removeValue(forKey: evicted) {
                samplesHeld -= gone.samples.count
            }
        }
    }

    private mutating func touch(_ request: SpeechRequest) {
        if let index = order.firstIndex(of: request) {
            order.remove(at: index)
        }
        order.append(request)
    }
}
