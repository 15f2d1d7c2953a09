import Foundation

/// Event-driven flow simulation: solve max-min rates of the active flows, advance to the next
/// flow completion (or phase start), remove finished flows, solve again.
final class FlowSimulator {
    let graph: TopologyGraph
    let solver: MaxMinSolver
    private var rates: [Double] = []
    private var bottleneck: [Int32] = []
    private var remaining: [Double] = []

    init(graph: TopologyGraph) {
        self.graph = graph
        solver = MaxMinSolver(capacity: graph.linkCapacity)
    }

    private func ensure(_ n: Int) {
        if rates.count < n {
            rates = [Double](repeating: 0, count: n)
            bottleneck = [Int32](repeating: -1, count: n)
            remaining = [Double](repeating: 0, count: n)
        }
    }

    /// Completions within this share of the longest one at current rates end in one event:
    /// otherwise thousands of tiny flows with distinct end times each cost a full solve.
    static let mergeShare = 1e-3
    /// Solves of this many flows in all, at most; then the flows left finish at the rates of the
    /// last solve (an approximation: max-min rates mostly grow as flows end). It keeps a
    /// two-million-flow all-to-all on an oversubscribed fabric to seconds.
    static let flowSolveBudget = 40_000_000
    static func maxEvents(flows: Int) -> Int { max(16, min(256, flowSolveBudget / max(1, flows))) }

    /// How far the next event moves time: to the first completion, or further when completions
    /// are negligibly close together, or to the last one when the event budget is spent.
    static func horizon(_ first: Double, longest: Double, events: Int, budget: Int) -> Double {
        events >= budget ? longest : max(first, mergeShare * longest)
    }

    /// Bytes each link carried while draining, when asked for.
    struct LinkLoad { var link: [Int32] = []; var bytes: [Double] = [] }

    /// Drains flows `ids`, all starting at time 0 with `volume x scale` bytes. Returns the time
    /// the last one ends and the link that limited it; adds link loads to `load` when given.
    func drain(_ flows: FlowSet, ids: [Int32], scale: Double = 1, load: UnsafeMutablePointer<Double>? = nil) -> (time: Double, bottleneck: Int32) {
        ensure(flows.count)
        var active = ids.filter { flows.volume[Int($0)] > 0 }
        for f in active { remaining[Int(f)] = flows.volume[Int(f)] * scale }
        var t = 0.0
        var last: Int32 = -1
        var events = 0
        let budget = Self.maxEvents(flows: active.count)
        while !active.isEmpty {
            solver.solve(flows, active: active, rates: &rates, bottleneck: &bottleneck)
            var dt = Double.infinity, longest = 0.0
            for f in active {
                let i = Int(f)
                if rates[i] > 0 { let c = remaining[i] / rates[i]; dt = min(dt, c); longest = max(longest, c) }
            }
            if dt == .infinity { return (.infinity, active.first.map { bottleneck[Int($0)] } ?? -1) }
            events += 1
            let h = Self.horizon(dt, longest: longest, events: events, budget: budget)
            if let load {
                for f in active {
                    let i = Int(f)
                    if rates[i] == .infinity { continue }
                    let span = min(h, remaining[i] / rates[i])
                    for e in flows.range(i) { load[Int(flows.link[e])] += rates[i] * flows.coef[e] * span }
                }
            }
            t += h
            var next: [Int32] = []
            next.reserveCapacity(active.count)
            for f in active {
                let i = Int(f)
                remaining[i] -= rates[i] * h
                if remaining[i] > 1e-9 * flows.volume[i] * scale && remaining[i] / rates[i] > 1e-12 * t { next.append(f) }
                else { last = bottleneck[i] }
            }
            active = next
        }
        return (t, last)
    }

    /// Runs schedules side by side, each from time 0 with its own byte count; phases of one
    /// schedule run in order. A phase moves its data first and then pays its latency (its steps'
    /// start-up costs), so concurrent collectives contend from the start. Returns each
    /// schedule's end time and the seconds attributed to each tier.
    func runConcurrent(_ schedules: [FlowSchedule], bytes: [Double]) -> [(seconds: Double, perTier: [String: Double])] {
        // Merge all flows into one set.
        var merged = FlowSet()
        var offsets: [Int] = []
        for s in schedules {
            offsets.append(merged.count)
            merged.append(s.flows)
        }
        ensure(merged.count)
        let S = schedules.count
        var pos = [Int](repeating: 0, count: S)
        var wake = [Double](repeating: .infinity, count: S)
        var running = [Bool](repeating: false, count: S)
        var started = [Double](repeating: 0, count: S)
        var pending = [[Int32]](repeating: [], count: S)
        var lastLink = [Int32](repeating: -1, count: S)
        var result = [(seconds: Double, perTier: [String: Double])](repeating: (0, [:]), count: S)
        var done = [Bool](repeating: false, count: S)
        func start(_ s: Int, at t: Double) {
            let ph = schedules[s].phases[schedules[s].order[pos[s]]]
            running[s] = true
            started[s] = t
            pending[s] = ph.flows.map { Int32($0 + offsets[s]) }.filter { merged.volume[Int($0)] > 0 }
            for f in pending[s] { remaining[Int(f)] = merged.volume[Int(f)] * bytes[s] }
        }
        for s in 0..<S {
            if schedules[s].order.isEmpty || bytes[s] <= 0 { done[s] = true } else { start(s, at: 0) }
        }
        var t = 0.0
        var events = 0
        let budget = Self.maxEvents(flows: merged.count)
        while done.contains(false) {
            // Streams whose latency has passed go on to their next phase, or finish.
            for s in 0..<S where !done[s] && !running[s] && wake[s] <= t * (1 + 1e-12) + 1e-15 {
                pos[s] += 1
                if pos[s] == schedules[s].order.count { done[s] = true; result[s].seconds = wake[s] } else { start(s, at: t) }
            }
            var active: [Int32] = []
            for s in 0..<S where running[s] { active.append(contentsOf: pending[s]) }
            var dt = Double.infinity
            for s in 0..<S where !done[s] && !running[s] { dt = min(dt, wake[s] - t) }
            var flowFirst = Double.infinity, longest = 0.0
            if !active.isEmpty {
                solver.solve(merged, active: active, rates: &rates, bottleneck: &bottleneck)
                for f in active {
                    let i = Int(f)
                    if rates[i] > 0 { let c = remaining[i] / rates[i]; flowFirst = min(flowFirst, c); longest = max(longest, c) }
                }
                events += 1
            }
            // Merge negligibly close completions, as `drain` does, but never past a phase start.
            if flowFirst < .infinity { dt = min(dt, Self.horizon(flowFirst, longest: longest, events: events, budget: budget)) }
            if !done.contains(false) { break }
            if dt == .infinity { for s in 0..<S where !done[s] { result[s].seconds = .infinity; done[s] = true }; break }
            dt = max(dt, 0)
            t += dt
            for s in 0..<S where running[s] {
                var next: [Int32] = []
                for f in pending[s] {
                    let i = Int(f)
                    remaining[i] -= rates[i] * dt
                    if remaining[i] > 1e-9 * merged.volume[i] * bytes[s] && remaining[i] / rates[i] > 1e-12 * max(t, 1e-30) { next.append(f) }
                    else { lastLink[s] = bottleneck[i] }
                }
                pending[s] = next
                if next.isEmpty {
                    running[s] = false
                    let ph = schedules[s].phases[schedules[s].order[pos[s]]]
                    let tier = lastLink[s] >= 0 ? graph.tierNames[Int(graph.linkTier[Int(lastLink[s])])] : "scale-up"
                    result[s].perTier[tier, default: 0] += t - started[s]
                    result[s].perTier[graph.cluster.levelName(ph.level), default: 0] += ph.latency
                    wake[s] = t + ph.latency
                }
            }
        }
        return result
    }
}

extension FlowSet {
    /// Appends another set's flows (link ids unchanged).
    mutating func append(_ other: FlowSet) {
        let base = Int32(link.count)
        link.append(contentsOf: other.link)
        coef.append(contentsOf: other.coef)
        volume.append(contentsOf: other.volume)
        start.append(contentsOf: other.start.dropFirst().map { $0 + base })
    }
}
