import Foundation

/// Algorithms a collective can run as, each a schedule of flows.
public enum CollectiveAlgorithm: String, Sendable, CaseIterable {
    /// Ring (NCCL ring): 2(n-1) steps of bytes/n for all-reduce, n-1 for reduce-scatter/all-gather;
    /// one ring per member of a domain (channels) when the group spans domains.
    case ring
    /// Two pipelined binary trees, each carrying half the buffer (NCCL tree).
    case doubleBinaryTree = "double-binary-tree"
    /// Recursive halving (reduce-scatter) then doubling (all-gather), power-of-two groups.
    case halvingDoubling = "halving-doubling"
    /// Reduce-scatter inside each scale-up domain, all-reduce across domains, all-gather inside.
    case hierarchical
    /// HCCL's non-uniform hierarchical ring: log2 steps of shrinking chunks for any group size.
    case nhr
    /// In-network reduction: NVLS in the scale-up switch, SHARP-like in the fabric.
    case inNetwork = "in-network"
    /// Every rank exchanges its chunks directly with every other at once: reduce-scatter, then
    /// all-gather (HCCL's mesh algorithm inside an HCCS full mesh).
    case mesh
    /// All-to-all as every pair at once (NCCL grouped send/recv).
    case pairwise
    /// All-to-all as n-1 synchronised steps, step k sending to rank + k (HCCL pairwise).
    case pairwiseSteps = "pairwise-steps"
    /// Point to point: rank i sends to rank i+1 (pipeline stages).
    case pointToPoint = "p2p"
    /// Pipelined chain from rank 0 (broadcast).
    case chain
}

/// One phase of a schedule: flows that start together; the phase ends when the last ends.
struct FlowPhase: Sendable {
    var flows: Range<Int>
    /// Copy of the group each flow belongs to (parallel to `flows`).
    var copyOf: [Int32]
    /// Latency the phase adds (steps x per-step latency), seconds.
    var latency: Double
    /// Highest fabric level a hop of the phase climbs (for per-tier attribution of latency).
    var level: Int
}

/// A collective on all copies of its group, as phases of flows. `order` lists the phases in the
/// order they run (a phase may run more than once, e.g. the halving and doubling halves).
struct FlowSchedule: Sendable {
    var flows: FlowSet
    var phases: [FlowPhase]
    var order: [Int]
    var algorithm: CollectiveAlgorithm
    var copies: Int
}

/// Turns collectives into flow schedules on a topology graph.
struct FlowScheduleBuilder {
    let graph: TopologyGraph
    var fsb: FlowSetBuilder
    var buf = RouteBuffer()
    var phases: [FlowPhase] = []
    var phaseStart = 0
    var copyOf: [Int32] = []
    var latency = 0.0
    var level = 0

    init(graph: TopologyGraph) {
        self.graph = graph
        fsb = FlowSetBuilder(linkCount: graph.linkCount)
    }

    /// Members of every copy of `group` that fits in the cluster, in group-rank order.
    static func copies(of group: CommGroup, devices: Int) -> [[Int]] {
        let offsets = group.members(base: 0)
        let span = offsets.max() ?? 0
        return group.copyBases(devices: devices).compactMap { b in b + span < devices ? offsets.map { $0 + b } : nil }
    }

    /// The schedule of `kind` on `group` by `algorithm`, or nil when the algorithm does not apply.
    static func make(graph: TopologyGraph, kind: CollectiveKind, group: CommGroup, algorithm: CollectiveAlgorithm) -> FlowSchedule? {
        let copies = Self.copies(of: group, devices: graph.devices)
        guard let first = copies.first, first.count > 1 else { return nil }
        var b = FlowScheduleBuilder(graph: graph)
        let ok = b.build(kind: kind, algorithm: algorithm, copies: copies)
        guard ok, !b.phases.isEmpty else { return nil }
        let order = b.order ?? Array(b.phases.indices)
        return FlowSchedule(flows: b.fsb.set, phases: b.phases, order: order, algorithm: algorithm, copies: copies.count)
    }

    var order: [Int]?
    /// Routing salt of each copy (nil: its index). Explicit copies keep the salt they have in
    /// the full list, so a copy routes the same alone as among all copies.
    var salts: [Int]?

    func salt(_ copy: Int) -> UInt64 { UInt64(salts?[copy] ?? copy) }

    /// The schedule of `kind` by `algorithm` on explicit copies (member lists in group-rank
    /// order) with their routing salts: the every-rank reference costs single copies this way.
    static func make(graph: TopologyGraph, kind: CollectiveKind, copies: [[Int]], salts: [Int],
                     algorithm: CollectiveAlgorithm) -> FlowSchedule? {
        guard let first = copies.first, first.count > 1 else { return nil }
        var b = FlowScheduleBuilder(graph: graph)
        b.salts = salts
        let ok = b.build(kind: kind, algorithm: algorithm, copies: copies)
        guard ok, !b.phases.isEmpty else { return nil }
        let order = b.order ?? Array(b.phases.indices)
        return FlowSchedule(flows: b.fsb.set, phases: b.phases, order: order, algorithm: algorithm, copies: copies.count)
    }

    /// Most flows one concurrent all-to-all builds (memory stays well under a GiB).
    static let pairwiseFlowBudget = 2_000_000

    // MARK: Phases and flows

    mutating func endPhase() {
        guard fsb.set.count > phaseStart else { return }
        phases.append(FlowPhase(flows: phaseStart..<fsb.set.count, copyOf: copyOf, latency: latency, level: level))
        phaseStart = fsb.set.count
        copyOf = []
        latency = 0
        level = 0
    }

    /// One coupled flow over the hops members[i] -> members[i+1] (a ring closes the loop):
    /// every hop moves `volume` at the same rate. `steps` latencies are paid, as NCCL's tuning
    /// model counts them (src/graph/tuning.cc): per pass over the members (n - 1 steps), one step
    /// per domain after the first at the latency of the hops between domains, the others at the
    /// latency of the hops inside one (as the analytical network's rings).
    mutating func coupled(_ m: [Int], closed: Bool, volume: Double, steps: Int, copy: Int) {
        buf.removeAll()
        var intraHop = 0.0, interHop = 0.0, crossings = 0
        let n = m.count
        for i in 0..<(closed ? n : n - 1) {
            let lv = graph.route(m[i], m[(i + 1) % n], salt: salt(copy), into: &buf)
            if lv > 0 { interHop = max(interHop, graph.latency(level: lv)); crossings += 1 } else { intraHop = max(intraHop, graph.latency(level: lv)) }
            level = max(level, lv)
        }
        fsb.add(buf, volume: volume)
        copyOf.append(Int32(copy))
        let domains = closed ? max(crossings, 1) : crossings + 1
        let inter = min(Double(steps), Double(steps) / Double(max(1, n - 1)) * Double(domains - 1))
        latency = max(latency, (Double(steps) - inter) * intraHop + inter * interHop)
    }

    /// The orders of a ring's channels over members `m`: a group with l > 1 members in each of
    /// several domains runs l rings (NCCL channels; l = the fewest members a domain holds), ring k
    /// entering each domain at its k-th member, so the rings leave each domain through l different
    /// NICs. One ring otherwise.
    func channels(_ m: [Int]) -> [[Int]] {
        guard let parts = domainSplit(m, unequal: true), parts.count > 1, let l = parts.map(\.count).min(), l > 1 else { return [m] }
        return (0..<l).map { k in parts.flatMap { p in (0..<p.count).map { p[($0 + k) % p.count] } } }
    }

    /// A flow over a prepared route.
    mutating func addFlow(_ route: RouteBuffer, volume: Double, sum: Bool, copy: Int, latency lat: Double, level lv: Int) {
        fsb.add(route, volume: volume, sum: sum)
        copyOf.append(Int32(copy))
        latency = max(latency, lat)
        level = max(level, lv)
    }

    /// One independent flow a -> b.
    mutating func single(_ a: Int, _ b: Int, volume: Double, copy: Int) {
        buf.removeAll()
        let lv = graph.route(a, b, salt: salt(copy), into: &buf)
        fsb.add(buf, volume: volume)
        copyOf.append(Int32(copy))
        latency = max(latency, graph.latency(level: lv))
        level = max(level, lv)
    }

    // MARK: Algorithms

    private mutating func build(kind: CollectiveKind, algorithm: CollectiveAlgorithm, copies: [[Int]]) -> Bool {
        let n = copies[0].count
        let nd = Double(n)
        switch (kind, algorithm) {
        case (.allReduce, .ring), (.reduceScatter, .ring), (.allGather, .ring):
            let ar = kind == .allReduce
            let volume = (ar ? 2 : 1) * (nd - 1) / nd, steps = (ar ? 2 : 1) * (n - 1)
            for (c, m) in copies.enumerated() {
                let rings = channels(m)
                for order in rings { coupled(order, closed: true, volume: volume / Double(rings.count), steps: steps, copy: c) }
            }
            endPhase()
        case (.allReduce, .doubleBinaryTree):
            for (c, m) in copies.enumerated() {
                for shift in [0, n / 2] {
                    let r = (0..<n).map { m[($0 + shift) % n] }
                    var edges: [Int] = []   // tree as parent-child pairs in heap layout
                    for i in 1..<n { edges.append(r[(i - 1) / 2]); edges.append(r[i]) }
                    buf.removeAll()
                    var hop = 0.0
                    for e in stride(from: 0, to: edges.count, by: 2) {
                        let l1 = graph.route(edges[e + 1], edges[e], salt: salt(c), into: &buf)
                        let l2 = graph.route(edges[e], edges[e + 1], salt: salt(c), into: &buf)
                        hop = max(hop, graph.latency(level: max(l1, l2)))
                        level = max(level, l1, l2)
                    }
                    fsb.add(buf, volume: 0.5)
                    copyOf.append(Int32(c))
                    let depth = Int(log2(Double(n)).rounded(.down)) + 1
                    latency = max(latency, Double(2 * depth) * hop)
                }
            }
            endPhase()
        case (.allReduce, .halvingDoubling), (.reduceScatter, .halvingDoubling), (.allGather, .halvingDoubling):
            guard n & (n - 1) == 0 else { return false }
            let s = n.trailingZeroBitCount
            for k in 0..<s {
                let delta = n >> (k + 1)
                for (c, m) in copies.enumerated() {
                    for i in 0..<n { single(m[i], m[i ^ delta], volume: 1 / Double(1 << (k + 1)), copy: c) }
                }
                endPhase()
            }
            let rs = Array(0..<s)
            order = kind == .allReduce ? rs + rs.reversed() : kind == .reduceScatter ? rs : rs.reversed()
        case (.allReduce, .nhr), (.reduceScatter, .nhr), (.allGather, .nhr):
            var s = 0
            while (1 << s) < n { s += 1 }
            let total = Double((1 << s) - 1)
            for k in 0..<s {
                let delta = 1 << (s - 1 - k)
                let v = (nd - 1) / nd * Double(delta) / total
                for (c, m) in copies.enumerated() {
                    for i in 0..<n { single(m[i], m[(i + delta) % n], volume: v, copy: c) }
                }
                endPhase()
            }
            let rs = Array(0..<s)
            order = kind == .allReduce ? rs + rs.reversed() : kind == .reduceScatter ? rs : rs.reversed()
        case (.allReduce, .mesh), (.reduceScatter, .mesh), (.allGather, .mesh):
            for (c, m) in copies.enumerated() {
                for i in 0..<n { for j in 0..<n where j != i { single(m[i], m[j], volume: 1 / nd, copy: c) } }
            }
            endPhase()
            if kind == .allReduce { order = [0, 0] }
        case (.allReduce, .hierarchical), (.allReduce, .inNetwork), (.reduceScatter, .hierarchical), (.allGather, .hierarchical):
            return buildHierarchical(kind: kind, copies: copies, inNetwork: algorithm == .inNetwork)
        case (.allToAll, .pairwise):
            // Every pair at once; past `pairwiseFlowBudget` flows, K evenly spread shifts each
            // carry (n-1)/K peers' bytes (the same bytes per rank, spread the same way).
            let K = min(n - 1, max(1, Self.pairwiseFlowBudget / max(1, n * copies.count)))
            let shifts = (0..<K).map { 1 + $0 * (n - 1) / K }
            let v = (nd - 1) / nd / Double(K)
            for (c, m) in copies.enumerated() {
                for i in 0..<n { for k in shifts { single(m[i], m[(i + k) % n], volume: v, copy: c) } }
            }
            endPhase()
        case (.allToAll, .pairwiseSteps):
            for k in 1..<n {
                for (c, m) in copies.enumerated() {
                    for i in 0..<n { single(m[i], m[(i + k) % n], volume: 1 / nd, copy: c) }
                }
                endPhase()
            }
        case (.sendRecv, .pointToPoint):
            for (c, m) in copies.enumerated() {
                for i in 0..<(n - 1) { single(m[i], m[i + 1], volume: 1, copy: c) }
            }
            endPhase()
        case (.broadcast, .chain):
            // NCCL's broadcast runs on its ring's channels: a chain from the root along each, with its
            // share of the buffer, leaving each domain through its own NIC (as the analytical
            // network's chain does).
            for (c, m) in copies.enumerated() {
                let rings = channels(m)
                for ring in rings {
                    let r = ring.firstIndex(of: m[0]) ?? 0
                    coupled(Array(ring[r...] + ring[..<r]), closed: false, volume: 1 / Double(rings.count), steps: n - 1, copy: c)
                }
            }
            endPhase()
        default:
            return false
        }
        return true
    }
}
