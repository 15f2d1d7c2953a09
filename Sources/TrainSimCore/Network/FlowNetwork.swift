import Foundation

/// Link utilization of one tier while a collective moves data.
public struct LinkTierUtilization: Sendable, Equatable {
    public var tier: String
    /// Links of the tier that carried traffic.
    public var links: Int
    /// Mean and highest utilization (0...1) of those links, weighted by phase time.
    public var mean: Double
    public var max: Double
}

/// What a collective costs on the flow network, independent of its size: time is
/// `bytes x secondsPerByte + latencySeconds` (max-min rates do not depend on bytes, and every
/// flow's volume is a fixed fraction of the buffer).
public struct FlowProfile: Sendable {
    public var algorithm: CollectiveAlgorithm
    public var secondsPerByte: Double
    public var latencySeconds: Double
    public var perTierPerByte: [String: Double]
    public var perTierLatency: [String: Double]
    public var utilization: [LinkTierUtilization]
    public var copies: Int

    public func seconds(bytes: Double) -> Double { bytes * secondsPerByte + latencySeconds }
}

extension CollectiveCostModel {
    /// This model as the flow-level network, or nil: cast only where `isFlowLevel` says it will
    /// succeed, so that an analytical run never pays for a failing cast.
    var flowNetwork: FlowNetwork? { isFlowLevel ? self as? FlowNetwork : nil }
}

/// Flow-level network: collectives become flows on the topology graph, and concurrent flows
/// share link bandwidth max-min fairly. Results are cached per (kind, group, algorithm).
public final class FlowNetwork: CollectiveCostModel, @unchecked Sendable {
    public var isFlowLevel: Bool { true }
    public struct Options: Sendable {
        public var routing: RoutingPolicy = .destinationModK
        /// Solve one representative of identical independent group copies (exact).
        public var symmetry = true
        /// Force one algorithm (when it applies); nil picks the fastest candidate.
        public var algorithm: CollectiveAlgorithm?
        /// Candidate all-reduce algorithms when not forced.
        public var allReduceCandidates: [CollectiveAlgorithm] = [.ring, .doubleBinaryTree, .hierarchical, .inNetwork]
        public init() {}
    }

    public let name = "flow"
    public let cluster: Cluster
    public let graph: TopologyGraph
    public let options: Options
    let lock = NSLock()
    let sim: FlowSimulator
    private var profiles: [ProfileKey: FlowProfile?] = [:]
    private var concurrent: [[RequestKey]: [CollectiveCost]] = [:]

    private struct RequestKey: Hashable {
        var kind: CollectiveKind
        var group: CommGroup
        var bytes: Double
        init(_ r: CollectiveRequest) { kind = r.kind; group = r.group; bytes = r.bytes }
    }

    private struct ProfileKey: Hashable {
        var kind: CollectiveKind
        var group: CommGroup
        var algorithm: CollectiveAlgorithm
    }

    public init(cluster: Cluster, options: Options = Options()) {
        self.cluster = cluster
        self.options = options
        let g = TopologyGraph(cluster: cluster)
        g.setRouting(options.routing)
        graph = g
        sim = FlowSimulator(graph: g)
    }

    /// Algorithms tried for a kind on a group (the direct-exchange `mesh` algorithm only inside
    /// one full-mesh scale-up domain).
    public func candidates(_ kind: CollectiveKind, _ group: CommGroup = CommGroup([])) -> [CollectiveAlgorithm] {
        if let a = options.algorithm { return [a] }
        let span = group.dims.reduce(0) { $0 + ($1.size - 1) * $1.stride }
        let mesh: [CollectiveAlgorithm] = graph.scaleUp.isMesh && span < graph.scaleUp.domainDevices ? [.mesh] : []
        switch kind {
        case .allReduce: return options.allReduceCandidates + mesh
        case .reduceScatter, .allGather: return [.ring, .hierarchical] + mesh
        case .allToAll: return [.pairwise]
        case .sendRecv: return [.pointToPoint]
        case .broadcast: return [.chain]
        }
    }

    public func cost(_ request: CollectiveRequest) -> CollectiveCost {
        guard request.group.size > 1, request.bytes > 0 else { return .zero }
        // A group wider than the cluster has no copy to place: closed forms instead.
        let span = request.group.dims.reduce(0) { $0 + ($1.size - 1) * $1.stride }
        if span >= cluster.devices { return AnalyticalNetwork(cluster: cluster).cost(request) }
        var best: FlowProfile?
        for a in candidates(request.kind, request.group) {
            guard let p = profile(request.kind, request.group, a) else { continue }
            if best == nil || p.seconds(bytes: request.bytes) < best!.seconds(bytes: request.bytes) { best = p }
        }
        guard let p = best else { return .zero }
        var tiers = p.perTierLatency
        for (k, v) in p.perTierPerByte { tiers[k, default: 0] += v * request.bytes }
        return CollectiveCost(seconds: p.seconds(bytes: request.bytes), perTier: tiers, algorithm: p.algorithm.rawValue)
    }

    /// Link utilization per tier of the algorithm `cost` picks for `request`.
    public func linkUtilization(_ request: CollectiveRequest) -> [LinkTierUtilization] {
        let alg = CollectiveAlgorithm(rawValue: cost(request).algorithm)
        return alg.flatMap { profile(request.kind, request.group, $0)?.utilization } ?? []
    }

    /// Collectives that run at the same time share links: one event-driven simulation of all
    /// their flows (each with the algorithm it would pick alone).
    public func costConcurrent(_ requests: [CollectiveRequest]) -> [CollectiveCost] {
        let live = requests.indices.filter { requests[$0].group.size > 1 && requests[$0].bytes > 0 }
        if live.count <= 1 { return requests.map(cost) }
        lock.lock()
        if let c = concurrent[requests.map(RequestKey.init)] { lock.unlock(); return c }
        lock.unlock()
        var algs: [CollectiveAlgorithm] = []
        for i in live {
            let c = cost(requests[i])
            algs.append(CollectiveAlgorithm(rawValue: c.algorithm) ?? .ring)
        }
        var schedules: [FlowSchedule] = []
        for (k, i) in live.enumerated() {
            let r = requests[i]
            guard let s = FlowScheduleBuilder.make(graph: graph, kind: r.kind, group: r.group, algorithm: algs[k]) else {
                return requests.map(cost)
            }
            schedules.append(s)
        }
        lock.lock()
        defer { lock.unlock() }
        let res = sim.runConcurrent(schedules, bytes: live.map { requests[$0].bytes })
        var out = [CollectiveCost](repeating: .zero, count: requests.count)
        for (k, i) in live.enumerated() {
            out[i] = CollectiveCost(seconds: res[k].seconds, perTier: res[k].perTier, algorithm: algs[k].rawValue)
        }
        concurrent[requests.map(RequestKey.init)] = out
        return out
    }

    /// The size-independent profile of `kind` on `group` by `algorithm` (nil if it does not apply).
    public func profile(_ kind: CollectiveKind, _ group: CommGroup, _ algorithm: CollectiveAlgorithm) -> FlowProfile? {
        let key = ProfileKey(kind: kind, group: group, algorithm: algorithm)
        lock.lock()
        defer { lock.unlock() }
        if let p = profiles[key] { return p }
        let p = computeProfile(kind, group, algorithm)
        profiles[key] = p
        return p
    }

    private func computeProfile(_ kind: CollectiveKind, _ group: CommGroup, _ algorithm: CollectiveAlgorithm) -> FlowProfile? {
        guard let s = FlowScheduleBuilder.make(graph: graph, kind: kind, group: group, algorithm: algorithm) else { return nil }
        let L = graph.linkCount
        let load = UnsafeMutablePointer<Double>.allocate(capacity: L)
        load.initialize(repeating: 0, count: L)
        defer { load.deallocate() }
        // Per distinct phase: seconds per byte, tier of its bottleneck, link utilization.
        var phaseTime: [Double] = []
        var phaseTier: [String] = []
        var util: [String: (links: Int, weighted: Double, maxU: Double, weight: Double)] = [:]
        var phaseUtil: [[String: (links: Int, sum: Double, maxU: Double)]] = []
        for ph in s.phases {
            var worst = 0.0
            var worstLink: Int32 = -1
            var perTier: [String: (links: Int, sum: Double, maxU: Double)] = [:]
            let classes: SymmetryClasses
            if options.symmetry { classes = sim.symmetryClasses(s.flows, phase: ph) }
            else { classes = SymmetryClasses(representatives: [ph.flows.map { Int32($0) }], multiplicity: [1]) }
            for (ci, rep) in classes.representatives.enumerated() {
                let (t, b) = sim.drain(s.flows, ids: rep, load: load)
                if t > worst || worstLink < 0 { worst = max(worst, t); worstLink = b }
                var seen = Set<Int32>()
                defer { for l in seen { load[Int(l)] = 0 } }
                guard t > 0, t.isFinite else { for f in rep { for e in s.flows.range(Int(f)) { load[Int(s.flows.link[e])] = 0 } }; continue }
                for f in rep {
                    for e in s.flows.range(Int(f)) where seen.insert(s.flows.link[e]).inserted {
                        let l = Int(s.flows.link[e])
                        let u = load[l] / (graph.linkCapacity[l] * t)
                        let name = graph.tierNames[Int(graph.linkTier[l])]
                        var x = perTier[name] ?? (0, 0, 0)
                        x.links += classes.multiplicity[ci]
                        x.sum += u * Double(classes.multiplicity[ci])
                        x.maxU = max(x.maxU, u)
                        perTier[name] = x
                    }
                }
            }
            phaseTime.append(worst)
            phaseTier.append(worstLink >= 0 ? graph.tierNames[Int(graph.linkTier[Int(worstLink)])] : "scale-up")
            phaseUtil.append(perTier)
        }
        var perByte = 0.0, latency = 0.0
        var tiersPerByte: [String: Double] = [:], tiersLatency: [String: Double] = [:]
        for i in s.order {
            let ph = s.phases[i]
            perByte += phaseTime[i]
            latency += ph.latency
            tiersPerByte[phaseTier[i], default: 0] += phaseTime[i]
            tiersLatency[cluster.levelName(ph.level), default: 0] += ph.latency
            for (name, x) in phaseUtil[i] {
                var u = util[name] ?? (0, 0, 0, 0)
                u.links = max(u.links, x.links)
                u.weighted += x.sum / Double(max(x.links, 1)) * phaseTime[i]
                u.weight += phaseTime[i]
                u.maxU = max(u.maxU, x.maxU)
                util[name] = u
            }
        }
        let utilization = util.keys.sorted { (graph.tierNames.firstIndex(of: $0) ?? 0) < (graph.tierNames.firstIndex(of: $1) ?? 0) }.map { k in
            let u = util[k]!
            return LinkTierUtilization(tier: k, links: u.links, mean: u.weight > 0 ? u.weighted / u.weight : 0, max: u.maxU)
        }
        return FlowProfile(algorithm: algorithm, secondsPerByte: perByte, latencySeconds: latency,
                           perTierPerByte: tiersPerByte, perTierLatency: tiersLatency, utilization: utilization, copies: s.copies)
    }
}
