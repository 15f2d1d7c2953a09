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
    let graph: TaskGraph
    let flow: FlowNetwork?
    private var cache: [[Int32]: [Double]] = [:]

    init(graph: TaskGraph, network: CollectiveCostModel) {
        self.graph = graph
        flow = network as? FlowNetwork
    }

    private var frozen: [Bool] = [], load: [Double] = [], demand: [Double] = []

    /// Rates of the collectives `ops` (operation indices) that run together.
    func rates(_ ops: [Int32], into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        let n = ops.count
        if n == 0 { return }
        if n == 1 { out.append(1); return }
        if flow != nil { flowRates(ops, into: &out); return }
        out.append(contentsOf: repeatElement(0, count: n))
        frozen.removeAll(keepingCapacity: true); frozen.append(contentsOf: repeatElement(false, count: n))
        let tiers = graph.tierNames.count
        load.removeAll(keepingCapacity: true); load.append(contentsOf: repeatElement(0, count: tiers))
        var remaining = n
        for (i, op) in ops.enumerated() where graph.requestTiers[Int(graph.request[Int(op)])].isEmpty {
            out[i] = 1; frozen[i] = true; remaining -= 1
        }
        var level = 0.0
        while remaining > 0 {
            demand.removeAll(keepingCapacity: true); demand.append(contentsOf: repeatElement(0, count: tiers))
            for (i, op) in ops.enumerated() where !frozen[i] {
                for (t, share) in graph.requestTiers[Int(graph.request[Int(op)])] { demand[t] += share }
            }
            var next = 1.0, bottleneck = -1
            for t in 0..<tiers where demand[t] > 0 {
                let l = (1 - load[t]) / demand[t]
                if l < next { next = l; bottleneck = t }
            }
            next = max(next, level)
            level = next
            for (i, op) in ops.enumerated() where !frozen[i] {
                let tiersOf = graph.requestTiers[Int(graph.request[Int(op)])]
                if bottleneck < 0 || tiersOf.contains(where: { $0.tier == bottleneck }) {
                    out[i] = level; frozen[i] = true; remaining -= 1
                    for (t, share) in tiersOf { load[t] += share * level }
                }
            }
        }
    }

    private func flowRates(_ ops: [Int32], into out: inout [Double]) {
        let reqs = ops.map { graph.request[Int($0)] }
        let key = reqs.sorted()
        let rates: [Double]
        if let hit = cache[key] { rates = hit } else {
            let together = flow!.costConcurrent(key.map { graph.requests[Int($0)] })
            rates = key.indices.map { k in
                let alone = graph.requestCost[Int(key[k])].seconds
                return together[k].seconds > 0 && alone > 0 ? min(1, alone / together[k].seconds) : 1
            }
            cache[key] = rates
        }
        for r in reqs { out.append(rates[key.firstIndex(of: r)!]) }
    }
}
