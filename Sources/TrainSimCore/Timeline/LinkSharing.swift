/// How collectives that run at the same time on one pipeline stage's devices share the links.
///
/// Analytical networks: each collective keeps each network tier busy for a share of its time alone
/// (the cost model's per-tier time over its time alone: parts that run one after another split it,
/// parts that run together, as an all-to-all's NVLink and network parts, each count whole).
/// Concurrent collectives share every tier max-min fairly: their rates (fractions of their speed
/// alone) rise together until some tier is fully used
/// (the sum over collectives of rate x share reaches 1); those using it stop there, the others
/// rise further, up to their speed alone. So no tier ever carries more than it can, and two
/// collectives that both fill one tier each run at half speed.
///
/// Flow networks: the collectives active together are solved together by the max-min flow
/// kernel (`FlowNetwork.costConcurrent`), and each runs at its time alone over its time in
/// company; the solution is cached per set of collectives and re-solved when the set changes.
final class LinkSharing {
    let flow: FlowNetwork?
    private let requests: [CollectiveRequest]
    private let alone: [Double]
    /// Per operation, its collective; per collective, its tiers and shares (compressed).
    private let opRequest: [Int32]
    private let tierStart: [Int32], tier: [Int32], share: [Double]
    private let tiers: Int
    private var cache: [[Int32]: [Double]] = [:]
    /// Analytical rates of recent sets of two or three collectives (see `rates`): key, and the
    /// rates in sorted request order.
    static let tableBits = 10
    private let tableKey: UnsafeMutablePointer<UInt64>, tableRate: UnsafeMutablePointer<Double>
    private let sorted: UnsafeMutablePointer<Int32>
    /// Scratch for the analytical water-filling, sized for the most collectives a stage runs at once.
    private let scratchCount: Int
    private let frozen: UnsafeMutablePointer<Bool>, load: UnsafeMutablePointer<Double>, demand: UnsafeMutablePointer<Double>
    private let level: UnsafeMutablePointer<Double>

    /// false: every collective runs at its speed alone whatever runs beside it.
    let shared: Bool

    init(graph: TaskGraph, network: CollectiveCostModel, shared: Bool = true) {
        self.shared = shared
        flow = network.flowNetwork
        requests = graph.requests
        alone = graph.requestCost.map(\.seconds)
        opRequest = graph.request
        var start: [Int32] = [0], t: [Int32] = [], s: [Double] = []
        for list in graph.requestTiers {
            for (k, x) in list { t.append(Int32(k)); s.append(x) }
            start.append(Int32(t.count))
        }
        tierStart = start; tier = t; share = s
        tiers = graph.tierNames.count
        scratchCount = TimelineSimulator.slots
        frozen = .allocate(capacity: scratchCount); level = .allocate(capacity: scratchCount)
        load = .allocate(capacity: max(tiers, 1)); demand = .allocate(capacity: max(tiers, 1))
        tableKey = .allocate(capacity: 1 << LinkSharing.tableBits)
        tableKey.initialize(repeating: 0, count: 1 << LinkSharing.tableBits)
        tableRate = .allocate(capacity: 3 << LinkSharing.tableBits)
        tableRate.initialize(repeating: 0, count: 3 << LinkSharing.tableBits)
        sorted = .allocate(capacity: 3)
        sorted.initialize(repeating: 0, count: 3)
    }

    deinit {
        frozen.deallocate(); level.deallocate(); load.deallocate(); demand.deallocate()
        tableKey.deallocate(); tableRate.deallocate(); sorted.deallocate()
    }

    /// Rates of the `n` collectives `ops` (operation indices) that run together, written to `out`.
    func rates(_ ops: UnsafePointer<Int32>, _ n: Int, into out: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        if n == 1 || !shared { for i in 0..<n { out[i] = 1 }; return }
        if flow != nil { flowRates(Array(UnsafeBufferPointer(start: ops, count: n)), into: out); return }
        precondition(n <= scratchCount, "more collectives at once on a stage than streams")
        // The rates depend only on the set of collectives: up to three (request ids below 2^16)
        // are looked up by their count and sorted ids packed in one word, in a direct-mapped table of
        // recent sets (solved again only when a set was pushed out).
        if n <= 3 && requests.count < 0xFFFF {
            for i in 0..<n { sorted[i] = opRequest[Int(ops[i])] }
            for i in 1..<n {
                var j = i
                while j > 0 && sorted[j - 1] > sorted[j] { let x = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = x; j -= 1 }
            }
            var key: UInt64 = UInt64(n)
            for i in 0..<n { key = key << 16 | UInt64(sorted[i]) }
            let slot = Int((key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - LinkSharing.tableBits))
            let hit = tableKey[slot] == key
            if !hit { solve(ops, n) }
            for i in 0..<n {
                let r = opRequest[Int(ops[i])]
                var k = 0
                while sorted[k] != r { k += 1 }
                if hit { out[i] = tableRate[slot * 3 + k] } else { tableRate[slot * 3 + k] = level[i]; out[i] = level[i] }
            }
            tableKey[slot] = key
            return
        }
        solve(ops, n)
        for i in 0..<n { out[i] = level[i] }
    }

    /// Water-fills the `n` collectives `ops` into `level`.
    private func solve(_ ops: UnsafePointer<Int32>, _ n: Int) {
        tierStart.withUnsafeBufferPointer { ts in
            tier.withUnsafeBufferPointer { tr in
                share.withUnsafeBufferPointer { sh in
                    opRequest.withUnsafeBufferPointer { oq in
                        waterFill(n, UnsafeBufferPointer(start: ops, count: n), ts, tr, sh, oq)
                    }
                }
            }
        }
    }

    /// Max-min rates over tiers: every unfrozen collective rises together until a tier fills.
    private func waterFill(_ n: Int, _ op: UnsafeBufferPointer<Int32>, _ ts: UnsafeBufferPointer<Int32>,
                           _ tr: UnsafeBufferPointer<Int32>, _ sh: UnsafeBufferPointer<Double>, _ oq: UnsafeBufferPointer<Int32>) {
        let tiers = self.tiers
        var remaining = n
        for i in 0..<n {
            let r = Int(oq[Int(op[i])])
            let alone = ts[r] == ts[r + 1]
            frozen[i] = alone; level[i] = alone ? 1 : 0
            if alone { remaining -= 1 }
        }
        for t in 0..<tiers { load[t] = 0 }
        var reached = 0.0
        while remaining > 0 {
            for t in 0..<tiers { demand[t] = 0 }
            for i in 0..<n where !frozen[i] {
                let r = Int(oq[Int(op[i])])
                for j in Int(ts[r])..<Int(ts[r + 1]) { demand[Int(tr[j])] += sh[j] }
            }
            var next = 1.0, bottleneck: Int32 = -1
            for t in 0..<tiers where demand[t] > 0 {
                let l = (1 - load[t]) / demand[t]
                if l < next { next = l; bottleneck = Int32(t) }
            }
            reached = max(next, reached)
            for i in 0..<n where !frozen[i] {
                let r = Int(oq[Int(op[i])])
                let a = Int(ts[r]), b = Int(ts[r + 1])
                var uses = bottleneck < 0
                if !uses { for j in a..<b where tr[j] == bottleneck { uses = true; break } }
                if uses {
                    level[i] = reached; frozen[i] = true; remaining -= 1
                    for j in a..<b { load[Int(tr[j])] += sh[j] * reached }
                }
            }
        }
    }

    private func flowRates(_ ops: [Int32], into out: UnsafeMutablePointer<Double>) {
        let reqs = ops.map { opRequest[Int($0)] }
        let key = reqs.sorted()
        let rates: [Double]
        if let hit = cache[key] { rates = hit } else {
            let together = flow!.costConcurrent(key.map { requests[Int($0)] })
            rates = key.indices.map { k in
                let a = alone[Int(key[k])]
                return together[k].seconds > 0 && a > 0 ? min(1, a / together[k].seconds) : 1
            }
            cache[key] = rates
        }
        for (i, r) in reqs.enumerated() { out[i] = rates[key.firstIndex(of: r)!] }
    }
}
