/// A reference for the symmetric timeline in flow mode, slow and simple: every device is its own
/// rank, running its own copy of its pipeline stage's operations, and every collective runs as
/// one instance per copy of its group, which only that copy's devices take part in.
///
/// - A compute operation on a rank starts when its dependencies (mapped to this rank's
///   counterparts on their stages: same coordinates but the pipeline one) and the operation
///   before it on its stream have ended on this rank, as in `TimelineSimulator`.
/// - A collective instance starts when every member rank has reached it (the same condition
///   on each member), and ends on all of them together. A pipeline send is one-sided, as in the
///   task graph: it starts when the sender reaches it, and its one flow goes to the device of
///   the same coordinates on the receiving stage.
/// - All instances in flight anywhere in the cluster share links: they are solved together by
///   the flow kernel (`FlowNetwork.costInstances`), each running at its time alone over its time
///   in company, re-solved whenever the set changes. An instance alone takes the operation's
///   launch overhead plus its own single-copy flow time (scaled as the operation scales its
///   collective); compute runs at the device rate less the SM share of collectives on the device.
///
/// Each instance uses the algorithm the symmetric path picked for its collective (the stack
/// picks it for the collective, not per copy). It costs nothing the symmetric path does not
/// know: the same graph, the same compute, the same flow kernel; only who waits for whom and
/// which flows are solved together differ. Slow by design (every device, every event re-solves
/// the cluster's set of flows, cached by set): for small clusters, in tests.
struct EveryRankTimeline {
    let g: TaskGraph
    let network: FlowNetwork
    let devices: Int, pp: Int, ppStride: Int
    /// Per device, per operation of the graph: start and end (NaN for operations of other stages).
    private(set) var start: [[Double]]
    private(set) var end: [[Double]]

    init(engine: Engine, graph: TaskGraph, network: FlowNetwork) {
        g = graph
        self.network = network
        devices = engine.cluster.devices
        let place = Placement(engine.experiment.parallelism)
        pp = place.pp.size; ppStride = place.pp.stride
        start = Array(repeating: Array(repeating: .nan, count: graph.count), count: devices)
        end = start
        launch = engine.experiment.training.framework.commLaunchUs * 1e-6
    }

    private let launch: Double
    /// Whether collectives of different stages share links (the reference: yes). Off, each
    /// stage's collectives are solved apart, as the symmetric path does: a diagnostic that
    /// separates that difference from the one of costing each stage's own copies only.
    var shareAcrossStages = true

    func stage(ofDevice d: Int) -> Int { (d / ppStride) % pp }
    /// The device with `d`'s coordinates on stage `s`.
    func device(_ d: Int, onStage s: Int) -> Int { d + (s - stage(ofDevice: d)) * ppStride }

    /// What shares links: a collective's copy (or a pipeline send's pair), by request.
    struct FlowKey: Hashable, Comparable {
        var request: Int32, a: Int, b: Int
        static func < (x: FlowKey, y: FlowKey) -> Bool { (x.request, x.a, x.b) < (y.request, y.a, y.b) }
    }

    /// A collective operation's instance: the op, and its copy (the sender device for a send).
    struct InstanceKey: Hashable { var op: Int32, copy: Int }

    struct Running {
        var flow: FlowKey?
        var ranks: [Int]
        var left: Double
        var rate = 1.0
        var smShare: Double
    }

    mutating func run() {
        let n = g.count
        var succ = [[Int32]](repeating: [], count: n)
        for i in 0..<n { for j in Int(g.depStart[i])..<Int(g.depStart[i + 1]) { succ[Int(g.deps[j])].append(Int32(i)) } }
        // Copies of each collective's group, and each device's copy.
        var copies: [[[Int]]] = [], copyOf: [[Int]] = []
        for r in g.requests {
            let c = FlowScheduleBuilder.copies(of: r.group, devices: devices)
            var of = [Int](repeating: -1, count: devices)
            for (k, m) in c.enumerated() { for d in m { of[d] = k } }
            copies.append(c); copyOf.append(of)
        }
        // The stage a pipeline send goes to: that of the operations waiting for it elsewhere.
        func peerStage(_ i: Int) -> Int {
            let s = Int(g.stage[i])
            return succ[i].map { Int(g.stage[Int($0)]) }.first { $0 != s } ?? (s + 1) % pp
        }
        var aloneCache: [FlowKey: Double?] = [:]
        var togetherCache: [[FlowKey]: [Double]] = [:]
        func instance(_ k: FlowKey) -> CollectiveInstance? {
            let r = g.requests[Int(k.request)]
            let alg = r.label == "pp" ? CollectiveAlgorithm.pointToPoint : CollectiveAlgorithm(rawValue: g.requestCost[Int(k.request)].algorithm)
            guard let alg else { return nil }
            let members = r.label == "pp" ? [k.a, k.b] : copies[Int(k.request)][k.a]
            let salt = r.label == "pp" ? max(0, copyOf[Int(k.request)][k.a]) : k.a
            return CollectiveInstance(kind: r.kind, bytes: r.bytes, members: members, salt: salt, algorithm: alg)
        }
        func alone(_ k: FlowKey) -> Double? {
            if let hit = aloneCache[k] { return hit }
            let x = instance(k).flatMap { network.costInstances([$0])[0] }
            aloneCache[k] = x
            return x
        }

        var remaining = [[Int32]](repeating: [], count: devices)
        for d in 0..<devices {
            remaining[d] = (0..<n).map { g.depStart[$0 + 1] - g.depStart[$0] }
        }
        var arrived: [InstanceKey: Int] = [:]
        var running: [InstanceKey: Running] = [:]   // collectives (op, copy); compute as (op, -1 - device)
        var t = 0.0
        var ended: [(InstanceKey, Running)] = []

        func reach(_ d: Int, _ i: Int) {
            let op = Int32(i)
            if !g.category[i].isComm {
                start[d][i] = t
                let key = InstanceKey(op: op, copy: -1 - d)
                let run = Running(flow: nil, ranks: [d], left: g.work[i], smShare: 0)
                if g.work[i] <= 0 { ended.append((key, run)) } else { running[key] = run }
                return
            }
            let r = Int(g.request[i])
            let pipeline = g.requests[r].label == "pp"
            precondition(pipeline || copyOf[r][d] >= 0, "every-rank timeline: a group wider than the cluster has no copy to run")
            let key = InstanceKey(op: op, copy: pipeline ? d : copyOf[r][d])
            let ranks = pipeline ? [d] : copies[r][key.copy]
            arrived[key, default: 0] += 1
            guard arrived[key]! == ranks.count else { return }
            let flow = pipeline ? FlowKey(request: Int32(r), a: d, b: device(d, onStage: peerStage(i)))
                                : FlowKey(request: Int32(r), a: key.copy, b: -1)
            // Work alone: launch plus this copy's flow time, scaled as the operation scales its collective.
            var work = g.work[i]
            let sym = g.requestCost[r].seconds
            if sym > 0, let a = alone(flow) { work = launch + (g.work[i] - launch) / sym * a }
            for m in ranks { start[m][i] = t }
            let run = Running(flow: sym > 0 ? flow : nil, ranks: ranks, left: work, smShare: g.smShare[i])
            if work <= 0 { ended.append((key, run)) } else { running[key] = run }
        }
        func finish(_ key: InstanceKey, _ run: Running) {
            let i = Int(key.op)
            for d in run.ranks {
                end[d][i] = t
                for k in succ[i] {
                    let e = device(d, onStage: Int(g.stage[Int(k)]))
                    remaining[e][Int(k)] -= 1
                    if remaining[e][Int(k)] == 0 { reach(e, Int(k)) }
                }
            }
        }
        func settle() {
            while let x = ended.popLast() { finish(x.0, x.1) }
        }
        /// Rates of everything running: collectives solved together, compute slowed by SM shares.
        func reshare() {
            var sets: [Int: [FlowKey]] = [:]
            for (k, r) in running { if let f = r.flow { sets[shareAcrossStages ? 0 : Int(g.stage[Int(k.op)]), default: []].append(f) } }
            var rates: [FlowKey: Double] = [:]
            for flows in sets.values.map({ $0.sorted() }) where flows.count > 1 {
                if togetherCache[flows] == nil {
                    let xs = flows.map(instance)
                    let live = xs.indices.filter { xs[$0] != nil }
                    let together = network.costInstances(live.map { xs[$0]! })
                    var out = [Double](repeating: 1, count: flows.count)
                    for (k, i) in live.enumerated() {
                        if let c = together[k], c > 0, let a = alone(flows[i]), a > 0 { out[i] = min(1, a / c) }
                    }
                    togetherCache[flows] = out
                }
                let out = togetherCache[flows]!
                for (i, f) in flows.enumerated() where rates[f] == nil { rates[f] = out[i] }
            }
            var sm = [Double](repeating: 0, count: devices)
            for (_, r) in running where r.smShare > 0 { for d in r.ranks { sm[d] = max(sm[d], r.smShare) } }
            for k in running.keys {
                // Compute is keyed by its device (copy -1 - device), collectives by their copy.
                running[k]!.rate = k.copy < 0 ? 1 - sm[-1 - k.copy] : running[k]!.flow.flatMap { rates[$0] } ?? 1
            }
        }

        for d in 0..<devices {
            let s = stage(ofDevice: d)
            for i in 0..<n where Int(g.stage[i]) == s && remaining[d][i] == 0 { reach(d, i) }
        }
        settle()
        reshare()
        while !running.isEmpty {
            // The next end; ties go to the lower operation, then the lower copy.
            var best: InstanceKey?, bestT = Double.infinity
            for (k, r) in running {
                let f = t + max(0, r.left) / r.rate
                if f < bestT || (f == bestT && (k.op, k.copy) < (best!.op, best!.copy)) { bestT = f; best = k }
            }
            let dt = bestT - t
            for k in running.keys { running[k]!.left -= running[k]!.rate * dt }
            t = bestT
            let r = running.removeValue(forKey: best!)!
            finish(best!, r)
            settle()
            reshare()
        }
        for d in 0..<devices {
            let s = stage(ofDevice: d)
            for i in 0..<n where Int(g.stage[i]) == s { precondition(!end[d][i].isNaN, "every-rank timeline: an operation never ran") }
        }
    }

    /// The step's length: the last end on any rank.
    var stepSeconds: Double { end.joined().filter { !$0.isNaN }.max() ?? 0 }

    /// The timeline of the pipeline whose stage-0 device is `base`, read as the symmetric path
    /// reads its one pipeline (per-stage breakdowns, exposed time per collective).
    func summary(pipeline base: Int) -> TimelineSummary {
        let st = (0..<g.count).map { start[device(base, onStage: Int(g.stage[$0]))][$0] }
        let en = (0..<g.count).map { end[device(base, onStage: Int(g.stage[$0]))][$0] }
        return TimelineSummary(graph: g, start: st, end: en, busyAsTraffic: false)
    }

    /// The stage-0 device of every pipeline replica.
    var pipelines: [Int] { (0..<devices).filter { stage(ofDevice: $0) == 0 } }
}
