/// How collectives that run at the same time on one pipeline stage's devices share the links.
///
/// Analytical networks: each collective spends a share of its time alone on each network tier
/// (the cost model's per-tier split). Concurrent collectives share every tier max-min fairly:
/// their rates (fractions of their speed alone) rise together until some tier is fully used
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
    private var frozen: [Bool] = [], load: [Double] = [], demand: [Double] = []

    init(graph: TaskGraph, network: CollectiveCostModel) {
        flow = network as? FlowNetwork
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
    }

    /// Rates of the collectives `ops` (operation indices) that run together.
    func rates(_ ops: [Int32], into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        let n = ops.count
        if n == 0 { return }
        if n == 1 { out.append(1); return }
        if flow != nil { flowRates(ops, into: &out); return }
        out.append(contentsOf: repeatElement(0, count: n))
        frozen.removeAll(keepingCapacity: true); frozen.append(contentsOf: repeatElement(false, count: n))
        load.removeAll(keepingCapacity: true); load.append(contentsOf: repeatElement(0, count: tiers))
        var remaining = n
        for i in 0..<n {
            let r = Int(opRequest[Int(ops[i])])
            if tierStart[r] == tierStart[r + 1] { out[i] = 1; frozen[i] = true; remaining -= 1 }
        }
        var level = 0.0
        while remaining > 0 {
            demand.removeAll(keepingCapacity: true); demand.append(contentsOf: repeatElement(0, count: tiers))
            for i in 0..<n where !frozen[i] {
                let r = Int(opRequest[Int(ops[i])])
                for j in Int(tierStart[r])..<Int(tierStart[r + 1]) { demand[Int(tier[j])] += share[j] }
            }
            var next = 1.0, bottleneck: Int32 = -1
            for t in 0..<tiers where demand[t] > 0 {
                let l = (1 - load[t]) / demand[t]
                if l < next { next = l; bottleneck = Int32(t) }
            }
            level = max(next, level)
            for i in 0..<n where !frozen[i] {
                let r = Int(opRequest[Int(ops[i])])
                let a = Int(tierStart[r]), b = Int(tierStart[r + 1])
                var uses = bottleneck < 0
                if !uses { for j in a..<b where tier[j] == bottleneck { uses = true; break } }
                if uses {
                    out[i] = level; frozen[i] = true; remaining -= 1
                    for j in a..<b { load[Int(tier[j])] += share[j] * level }
                }
            }
        }
    }

    private func flowRates(_ ops: [Int32], into out: inout [Double]) {
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
        for r in reqs { out.append(rates[key.firstIndex(of: r)!]) }
    }
}
