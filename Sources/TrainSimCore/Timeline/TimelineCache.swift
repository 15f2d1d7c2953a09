import Foundation

/// Steps simulated already by a sweep or a search, by what they simulated: points and candidates
/// whose step builds the same task graph (ZeRO-1 and ZeRO-2 under a stack that reduces and gathers
/// alike for both; designs whose links cost the same) get the timeline of the first of them, and
/// are not simulated again. In the 25,920-point bench sweep 3,582 of the 15,624 simulated steps
/// (23 %) are read from it.
///
/// The key is the first graph the step simulates (the steady-state window's, or the whole
/// step's), with the micro-batch count and the schedule that decide which other graphs the step
/// simulates after it and how it extends them (so `interleaved` with one virtual stage never
/// takes `1f1b`'s step: read off another window, its figures could differ in their last bits).
/// Every graph of a step is built from the same per-pass pieces, so two steps whose first graphs
/// agree in every operation, dependency and collective agree in the others: the timeline is a
/// function of its graph and the network's sharing rule. The graph enters the key as a 128-bit
/// fingerprint of all it holds that the timeline or the report reads.
///
/// With a flow network, whose rates depend on the fabric as well as on the graph, the key also
/// names the network: a sweep or search builds one per distinct cluster and shares it, and the
/// cache holds it, so that no other network can take its identity. While a cache is active (``TimelineCache/using(_:_:)``); outside it (a single `run`, the tests)
/// every step is simulated. A hit carries the graph's collectives, not its operations: what the
/// step's report reads of it. Bounded: the oldest entries go first.
public final class TimelineCache: @unchecked Sendable {
    struct Key: Hashable {
        var fingerprint: GraphFingerprint
        var microBatches: Int, schedule: String, pp: Int, vpp: Int, group: Int, shared: Bool
        /// The flow network the step was simulated on (nil: analytical).
        var network: ObjectIdentifier?
    }

    private let lock = NSLock()
    /// Each step, with the flow network it was simulated on (held, so that its identity stays its own).
    private var entries: [Key: (run: Engine.TimelineRun, network: FlowNetwork?)] = [:]
    private var order: [Key] = []
    private var oldest = 0
    /// Steps kept (each a summary and its collectives: a few kilobytes).
    let capacity: Int
    /// Lookups that found a step simulated before, and lookups in all.
    private(set) var hits = 0, lookups = 0
    /// Steps simulated while the cache was active (each inserted once), and the operations of the
    /// last graph each simulated (the steady-state window's, or the whole step's): what a step costs.
    private(set) var simulated = 0, operations = 0

    nonisolated(unsafe) static var active: TimelineCache?

    public init(capacity: Int = 512) { self.capacity = max(1, capacity) }

    /// Runs `body` with `cache` active for as long as it runs.
    public static func using<T>(_ cache: TimelineCache, _ body: () throws -> T) rethrows -> T {
        let outer = active
        active = cache
        defer { active = outer }
        return try body()
    }

    subscript(key: Key) -> Engine.TimelineRun? {
        lock.lock(); defer { lock.unlock() }
        lookups += 1
        guard let entry = entries[key] else { return nil }
        hits += 1
        return entry.run
    }

    func insert(_ run: Engine.TimelineRun, for key: Key, network: FlowNetwork? = nil) {
        var kept = run
        kept.graph = run.graph.collectivesOnly()
        lock.lock(); defer { lock.unlock() }
        simulated += 1
        operations += run.graph.count
        guard entries[key] == nil else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            entries[order[oldest]] = nil
            order[oldest] = key
            oldest = (oldest + 1) % capacity
        }
        entries[key] = (kept, network)
    }
}

/// A task graph's 128-bit fingerprint (`TaskGraph.fingerprint()`).
struct GraphFingerprint: Hashable {
    var a: UInt64, b: UInt64
}

extension TaskGraph {
    /// The graph's collectives (requests, their costs and tiers) without its operations: what a
    /// step's report reads of the graph.
    func collectivesOnly() -> TaskGraph {
        var g = TaskGraph(stages: stages)
        g.requests = requests
        g.requestCost = requestCost
        g.requestTiers = requestTiers
        g.tierNames = tierNames
        return g
    }

    /// A 128-bit fingerprint of everything the timeline and the report read of the graph: each
    /// operation's stage, stream, kind, work, collective, SM share and calls, the dependencies,
    /// and each collective's request, cost alone, tiers and shares (the arrays' bytes, with their
    /// lengths).
    func fingerprint() -> GraphFingerprint {
        var f = Fingerprint()
        f.add(UInt64(count)); f.add(UInt64(stages))
        // The stage is the stream's (stage x streams per stage + stream): not hashed twice.
        f.add(stream); f.add(category); f.add(work); f.add(request); f.add(smShare); f.add(layers)
        f.add(depStart); f.add(deps)
        f.add(UInt64(requests.count))
        for (r, c) in zip(requests, requestCost) {
            f.add(r.kind.rawValue); f.add(r.bytes.bitPattern); f.add(r.label)
            f.add(UInt64(r.group.dims.count))
            for d in r.group.dims { f.add(UInt64(bitPattern: Int64(d.size))); f.add(UInt64(bitPattern: Int64(d.stride))) }
            f.add(c.seconds.bitPattern); f.add(c.algorithm)
            for k in c.perTier.keys.sorted() { f.add(k); f.add(c.perTier[k]!.bitPattern) }
        }
        for list in requestTiers {
            f.add(UInt64(list.count))
            for (t, s) in list { f.add(UInt64(bitPattern: Int64(t))); f.add(s.bitPattern) }
        }
        for t in tierNames { f.add(t) }
        return f.value
    }
}

/// A 128-bit fingerprint: four lanes of xxHash64's round over each array's bytes, 32 at a time
/// (the lanes are independent, so a word costs about a cycle), then two different avalanches of
/// the lanes. Not the project's `FNV1a` (the check trainsim writes into its files): that takes a
/// multiply per byte, one after another, and gives 64 bits; this runs over every step a sweep
/// simulates (2 % of a point) and must not collide over millions of them.
private struct Fingerprint {
    private var v: (UInt64, UInt64, UInt64, UInt64) = (0x60EA_27EE_ADC0_B5D6, 0xC2B2_AE3D_27D4_EB4F, 0, 0x61C8_864E_7A14_3579)
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    @inline(__always) private static func round(_ acc: UInt64, _ w: UInt64) -> UInt64 {
        let x = acc &+ w &* p2
        return ((x << 31) | (x >> 33)) &* p1
    }

    mutating func add(_ w: UInt64) { v.0 = Self.round(v.0, w) }

    mutating func add(_ s: String) {
        add(UInt64(s.utf8.count))
        for c in s.utf8 { v.1 = Self.round(v.1, UInt64(c)) }
    }

    /// An array's length, then its bytes: 32 at a time over the four lanes, the rest a word at a
    /// time (the last zero-padded).
    mutating func add<T>(_ xs: [T]) {
        add(UInt64(xs.count))
        xs.withUnsafeBytes { raw in
            guard let p = raw.baseAddress else { return }
            let n = raw.count
            var (a, b, c, d) = v
            var k = 0
            while k + 32 <= n {
                a = Self.round(a, p.loadUnaligned(fromByteOffset: k, as: UInt64.self))
                b = Self.round(b, p.loadUnaligned(fromByteOffset: k + 8, as: UInt64.self))
                c = Self.round(c, p.loadUnaligned(fromByteOffset: k + 16, as: UInt64.self))
                d = Self.round(d, p.loadUnaligned(fromByteOffset: k + 24, as: UInt64.self))
                k += 32
            }
            while k + 8 <= n { a = Self.round(a, p.loadUnaligned(fromByteOffset: k, as: UInt64.self)); k += 8 }
            var tail: UInt64 = 0
            for j in k..<n { tail |= UInt64(raw[j]) << UInt64(8 * (j - k)) }
            if k < n { b = Self.round(b, tail) }
            v = (a, b, c, d)
        }
    }

    var value: GraphFingerprint {
        GraphFingerprint(a: Self.mix(v.0 ^ Self.round(0, v.1) ^ (v.2 &* Self.p1) ^ Self.round(v.3, 0x27D4_EB2F_1656_67C5)),
                         b: Self.mix(v.3 ^ Self.round(0, v.2) ^ (v.1 &* Self.p2) ^ Self.round(v.0, 0x1656_67B1_9E37_79F9)))
    }

    /// MurmurHash3's 64-bit finaliser.
    private static func mix(_ x0: UInt64) -> UInt64 {
        var x = x0
        x ^= x >> 33; x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33; x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}
