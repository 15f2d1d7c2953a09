import Foundation

/// `trainsim bench network`: the SIMD max-min solver against the scalar reference, and the time
/// and peak memory to cost one training step's collectives in flow mode on 9,216 (MoE) and
/// 100,000 (dense) devices.
public enum NetworkBench {
    public struct Options: Sendable {
        /// Topology and size of the MoE step (TP2 EP16 PP12, as SimAI's shipped example).
        public var moeTopology = "h800-ib"
        public var moeDevices = 9216
        /// Topology and size of the dense step (TP8 PP10).
        public var denseTopology = "h100-ib"
        public var denseDevices = 100_000
        /// Solver runs to take the best time of.
        public var repeats = 3
        public init() {}
    }

    /// One step plan's parallel layout: TP innermost, then EP (inside DP), then PP, then DP.
    public struct Plan: Sendable {
        public var tp: Int, ep: Int, pp: Int
        public init(tp: Int, ep: Int, pp: Int) { self.tp = tp; self.ep = ep; self.pp = pp }

        /// The collectives one step issues, with representative sizes.
        public func requests(devices: Int) -> [CollectiveRequest] {
            let dp = devices / (tp * pp)
            var r: [CollectiveRequest] = []
            if tp > 1 { r.append(CollectiveRequest(kind: .allReduce, bytes: 64 * 1_048_576, group: CommGroup(size: tp, stride: 1), label: "tp")) }
            if ep > 1 { r.append(CollectiveRequest(kind: .allToAll, bytes: 256 * 1_048_576, group: CommGroup(size: ep, stride: tp), label: "ep")) }
            if pp > 1 { r.append(CollectiveRequest(kind: .sendRecv, bytes: 32 * 1_048_576, group: CommGroup(size: pp, stride: tp * ep), label: "pp")) }
            if dp > 1 {
                // Dense parameters: all DP ranks; expert parameters: DP ranks outside the EP group.
                let outer = GroupDim(size: dp / ep, stride: tp * ep * pp)
                r.append(CollectiveRequest(kind: .allReduce, bytes: 2 * 1_073_741_824, group: CommGroup([GroupDim(size: ep, stride: tp), outer]), label: "dp"))
                if ep > 1 { r.append(CollectiveRequest(kind: .allReduce, bytes: 4 * 1_073_741_824, group: CommGroup([outer]), label: "dp-expert")) }
            }
            return r
        }
    }

    public static func run(_ options: Options = Options()) throws(TrainSimError) -> String {
        var out = "network benchmark\n"
        let moeSpec = try TopologySpec.load(options.moeTopology, relativeTo: nil, referencedFrom: nil, keyPath: "bench")
        let moe = try Cluster(spec: moeSpec, devices: options.moeDevices)
        out += solverRatio(moe, plan: Plan(tp: 2, ep: 16, pp: 12), repeats: options.repeats)
        out += step(moe, plan: Plan(tp: 2, ep: 16, pp: 12), title: "MoE TP2 EP16 PP12")
        let dense = try denseCluster(options)
        out += step(dense, plan: Plan(tp: 8, ep: 1, pp: 10), title: "dense TP8 PP10")
        return out
    }

    /// The dense cluster: the named design, or h800-ib grown to three tiers when it is missing
    /// or too small.
    static func denseCluster(_ o: Options) throws(TrainSimError) -> Cluster {
        if let spec = try? TopologySpec.load(o.denseTopology, relativeTo: nil, referencedFrom: nil, keyPath: "bench"),
           let c = try? Cluster(spec: spec, devices: o.denseDevices) { return c }
        var spec = try TopologySpec.load("h800-ib", relativeTo: nil, referencedFrom: nil, keyPath: "bench")
        if spec.fabric.tiers.count < 3, let top = spec.fabric.tiers.last {
            var core = top
            core.name = "core"
            spec.fabric.tiers.append(core)
        }
        return try Cluster(spec: spec, devices: o.denseDevices)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Peak resident memory of the process, GiB.
    public static func peakMemoryGiB() -> Double {
        var ru = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &ru)
        #else
        getrusage(RUSAGE_SELF, &ru)
        #endif
        #if os(Linux)
        return Double(ru.ru_maxrss) * 1024 / 1_073_741_824
        #else
        return Double(ru.ru_maxrss) / 1_073_741_824
        #endif
    }

    static func fmt(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }

    /// SIMD solver vs the scalar reference on two flow sets of the MoE cluster: the EP
    /// all-to-all of the step, and random device pairs (many bottleneck levels).
    static func solverRatio(_ cluster: Cluster, plan: Plan, repeats: Int) -> String {
        let g = TopologyGraph(cluster: cluster)
        var sets: [(String, FlowSet)] = []
        if let s = FlowScheduleBuilder.make(graph: g, kind: .allToAll, group: CommGroup(size: plan.ep, stride: plan.tp), algorithm: .pairwise) {
            sets.append(("EP all-to-all", s.flows))
        }
        var rng = SplitMix(seed: 42)
        var fsb = FlowSetBuilder(linkCount: g.linkCount)
        var b = RouteBuffer()
        for _ in 0..<50_000 {
            b.removeAll()
            let a = Int(rng.next() % UInt64(cluster.devices)), d = Int(rng.next() % UInt64(cluster.devices))
            g.route(a, d, salt: rng.next(), into: &b)
            fsb.add(b, volume: 1)
        }
        sets.append(("random pairs", fsb.set))
        var s = "\nmax-min solver, \(cluster.devices) devices, \(g.linkCount) links\n"
        let solver = MaxMinSolver(capacity: g.linkCapacity)
        for (name, fs) in sets {
            let active = (0..<fs.count).map { Int32($0) }
            var rates = [Double](repeating: 0, count: fs.count)
            var bn = [Int32](repeating: -1, count: fs.count)
            var tFast = Double.infinity, tRef = Double.infinity
            var ref: [Double] = []
            for _ in 0..<max(1, repeats) {
                let t0 = now()
                solver.solve(fs, active: active, rates: &rates, bottleneck: &bn)
                let t1 = now()
                ref = ReferenceMaxMinSolver.solve(fs, capacity: g.linkCapacity).rates
                let t2 = now()
                tFast = min(tFast, t1 - t0)
                tRef = min(tRef, t2 - t1)
            }
            var maxErr = 0.0
            for i in 0..<fs.count where ref[i].isFinite { maxErr = max(maxErr, abs(rates[i] - ref[i]) / max(ref[i], 1)) }
            s += "  \(name): \(fs.count) flows, \(fs.entries) route entries, \(solver.lastRounds) rounds\n"
            s += "    SIMD \(fmt(tFast * 1e3, 2)) ms, scalar reference \(fmt(tRef * 1e3, 2)) ms, ratio \(fmt(tRef / tFast, 1))x (goal >= 4x), max rel. difference \(String(format: "%.1e", maxErr))\n"
        }
        return s
    }

    /// Builds the flow network and costs one step's collectives (alone, and DP all-reduce
    /// concurrently with the EP all-to-all), timing it all.
    static func step(_ cluster: Cluster, plan: Plan, title: String) -> String {
        let t0 = now()
        let net = FlowNetwork(cluster: cluster)
        let t1 = now()
        let reqs = plan.requests(devices: cluster.devices)
        var lines = ""
        for r in reqs {
            let c0 = now()
            let c = net.cost(r)
            lines += "    \(r.label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(r.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) group \(r.group.size): \(fmt(c.seconds * 1e3, 3)) ms (\(c.algorithm)), solved in \(fmt(now() - c0, 3)) s\n"
        }
        if let dp = reqs.first(where: { $0.label == "dp" }), let ep = reqs.first(where: { $0.label == "ep" }) {
            let c0 = now()
            let cc = net.costConcurrent([dp, ep])
            lines += "    dp + ep concurrently: \(fmt(cc[0].seconds * 1e3, 3)) ms, \(fmt(cc[1].seconds * 1e3, 3)) ms, solved in \(fmt(now() - c0, 3)) s\n"
        }
        let t2 = now()
        // A second step hits the caches.
        for r in reqs { _ = net.cost(r) }
        let t3 = now()
        let goal = cluster.devices > 20_000 ? "< 10 s" : "< 2 s"
        return "\nstep, \(title), \(cluster.devices) devices on \(cluster.spec.id), flow mode\n"
            + "    graph: \(net.graph.vertexCount) vertices, \(net.graph.linkCount) links, built in \(fmt(t1 - t0, 3)) s\n"
            + lines
            + "  total \(fmt(t2 - t0, 2)) s (goal \(goal)); next step (cached) \(fmt((t3 - t2) * 1e3, 2)) ms; peak memory \(fmt(peakMemoryGiB(), 2)) GiB (goal < 2)\n"
    }
}

/// A small deterministic generator for benchmarks and tests.
public struct SplitMix: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Routing.mix(state, 0)
    }
}
