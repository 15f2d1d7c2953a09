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

    public static func run(_ options: Options = Options()) throws(TrainSimError) -> String {
        var out = "network benchmark\n"
        let moe = try experiment(name: "bench-moe", model: "deepseek-v3", topology: options.moeTopology,
                                 devices: options.moeDevices, tp: 2, pp: 12, ep: 16, microBatchesPerReplica: 8)
        let moeCluster = try Cluster(spec: moe.cluster.topology, devices: moe.cluster.devices)
        out += solverRatio(moeCluster, tp: 2, ep: 16, repeats: options.repeats)
        out += try step(moe, title: "MoE deepseek-v3 TP2 EP16 PP12")
        let dense = try experiment(name: "bench-dense", model: "llama3-405b", topology: options.denseTopology,
                                   devices: options.denseDevices, tp: 8, pp: 10, ep: 1, microBatchesPerReplica: 4)
        out += try step(dense, title: "dense llama3-405b TP8 PP10")
        return out
    }

    /// A benchmark experiment's file text (layout TP innermost, then EP inside DP, then PP, then DP).
    static func experimentText(name: String, model: String, topology: String, devices: Int, tp: Int, pp: Int, ep: Int,
                               microBatchesPerReplica: Int, network: String = "flow") -> String {
        let dp = devices / (tp * pp)
        return """
        {"name": "\(name)", "model": "\(model)",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(dp * microBatchesPerReplica),
                      "microBatchSequences": 1, "precision": "bf16", "recompute": "selective"},
         "cluster": {"topology": "\(topology)", "devices": \(devices), "network": "\(network)"},
         "parallelism": {"tp": \(tp), "pp": \(pp), "ep": \(ep), "schedule": "1f1b"}}
        """
    }

    /// A benchmark experiment, decoded from `experimentText`.
    static func experiment(name: String, model: String, topology: String, devices: Int, tp: Int, pp: Int, ep: Int,
                           microBatchesPerReplica: Int) throws(TrainSimError) -> Experiment {
        try decode(experimentText(name: name, model: model, topology: topology, devices: devices, tp: tp, pp: pp, ep: ep,
                                  microBatchesPerReplica: microBatchesPerReplica))
    }

    /// A benchmark experiment from its file text.
    static func decode(_ text: String) throws(TrainSimError) -> Experiment {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw TrainSimError(.environment, path: "bench", "benchmark experiment does not parse: \(error)") }
        return try Experiment.decode(json, file: nil, folder: nil)
    }

    /// Wall-clock seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// CPU seconds of this thread: steadier than wall time on a shared machine.
    static func cpu() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
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
    static func solverRatio(_ cluster: Cluster, tp: Int, ep: Int, repeats: Int) -> String {
        let g = TopologyGraph(cluster: cluster)
        var sets: [(String, FlowSet)] = []
        if let s = FlowScheduleBuilder.make(graph: g, kind: .allToAll, group: CommGroup(size: ep, stride: tp), algorithm: .pairwise) {
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
        var s = "\nmax-min solver, \(cluster.devices) devices, \(g.linkCount) links (best of \(max(1, repeats)), thread CPU time)\n"
        let solver = MaxMinSolver(capacity: g.linkCapacity)
        for (name, fs) in sets {
            let active = (0..<fs.count).map { Int32($0) }
            var rates = [Double](repeating: 0, count: fs.count)
            var bn = [Int32](repeating: -1, count: fs.count)
            var tFast = Double.infinity, tRef = Double.infinity
            var ref: [Double] = []
            for _ in 0..<max(1, repeats) {
                let t0 = cpu()
                solver.solve(fs, active: active, rates: &rates, bottleneck: &bn)
                let t1 = cpu()
                ref = ReferenceMaxMinSolver.solve(fs, capacity: g.linkCapacity).rates
                let t2 = cpu()
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

    /// Builds the flow network and simulates one step with the engine; then costs the DP
    /// all-reduce and the EP all-to-all concurrently (they share NICs).
    static func step(_ e: Experiment, title: String) throws(TrainSimError) -> String {
        let t0 = now(), c0 = cpu()
        let cluster = try Cluster(spec: e.cluster.topology, devices: e.cluster.devices)
        var options = FlowNetwork.Options()
        options.routing = cluster.spec.fabric.routing
        let net = FlowNetwork(cluster: cluster, options: options)
        let t1 = now()
        let r = try Engine.simulateStep(e, network: net)
        let t2 = now(), c2 = cpu()
        var lines = ""
        for c in r.collectives {
            lines += "    \(c.label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(c.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))"
                + " group \(c.groupSize), \(fmt(c.bytes / 1_048_576, 1)) MiB: \(fmt(c.cost.seconds * 1e3, 3)) ms (\(c.cost.algorithm)), \(fmt(c.callsPerStep, 0)) calls\n"
        }
        let place = Placement(e.parallelism)
        var concurrent = ""
        if e.parallelism.ep > 1 {
            let dp = CollectiveRequest(kind: .allReduce, bytes: 1_073_741_824, group: place.dpGroup, label: "dp")
            let ep = CollectiveRequest(kind: .allToAll, bytes: 268_435_456, group: place.epGroup, label: "ep")
            let s0 = now()
            let alone = [net.cost(dp).seconds, net.cost(ep).seconds]
            let cc = net.costConcurrent([dp, ep])
            concurrent = "    DP all-reduce 1 GiB + EP all-to-all 256 MiB at once: \(fmt(cc[0].seconds * 1e3, 2)) ms and \(fmt(cc[1].seconds * 1e3, 2)) ms"
                + " (alone \(fmt(alone[0] * 1e3, 2)) and \(fmt(alone[1] * 1e3, 2)) ms), solved in \(fmt(now() - s0, 2)) s\n"
        }
        let goal = cluster.devices > 20_000 ? "< 10 s" : "< 2 s"
        return "\nstep, \(title), \(cluster.devices) devices on \(cluster.spec.id), flow mode\n"
            + "    graph: \(net.graph.vertexCount) vertices, \(net.graph.linkCount) links, built in \(fmt(t1 - t0, 3)) s\n"
            + lines
            + "  step time \(fmt(r.stepSeconds, 3)) s simulated in \(fmt(t2 - t0, 2)) s wall, \(fmt(c2 - c0, 2)) s CPU, graph included (goal \(goal)); peak memory \(fmt(peakMemoryGiB(), 2)) GiB (goal < 2)\n"
            + concurrent
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
