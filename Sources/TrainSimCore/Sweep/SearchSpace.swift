import Foundation

/// What a plan search may choose: candidate values per knob, from `search.space` where given,
/// otherwise trainsim's defaults for the model and cluster.
public struct SearchSpace: Sendable {
    public var devices: [Int]
    public var topologies: [String]
    public var tp: [Int]?, pp: [Int]?, vpp: [Int]?, cp: [Int]?, ep: [Int]?, microBatch: [Int]?
    /// Expert tensor parallel sizes to try (each candidate takes those that are 1 or its tp);
    /// nil: the experiment's, or its stack's default.
    public var etp: [Int]?
    /// Layers per chunk full recompute reruns (`training.recomputeLayers`), tried on full-recompute
    /// candidates; nil: the experiment's.
    public var recomputeLayers: [Int]?
    public var zero: [Int]
    public var recompute: [Recompute]
    public var schedule: [PipelineSchedule]
    /// Context-parallel algorithms tried where cp > 1 (default: the experiment's own).
    public var cpAlgorithm: [ContextParallelAlgorithm]

    /// Keys `search.space` may set.
    public static let keys = [
        "cluster.devices", "cluster.topology", "parallelism.tp", "parallelism.pp", "parallelism.vpp", "parallelism.cp",
        "parallelism.ep", "parallelism.zero", "parallelism.schedule", "training.microBatchSequences", "training.recompute",
        "parallelism.cpAlgorithm", "parallelism.etp", "training.recomputeLayers",
    ]

    public init(_ e: Experiment) throws(TrainSimError) {
        devices = [e.cluster.devices]
        topologies = [e.cluster.topologyReference]
        zero = [0, 1, 2, 3]
        recompute = Recompute.allCases
        // The schedules the stack runs, and the experiment's own.
        let runs = e.training.framework.schedules
        schedule = PipelineSchedule.allCases.filter { runs.contains($0.rawValue) || $0 == e.parallelism.schedule }
        cpAlgorithm = [e.parallelism.cpAlgorithm]
        // A `sweep` over cluster.topology or cluster.devices beside the search is a list of clusters
        // to search (search.space wins when it lists the same key): the report then gives the best
        // plan on each cluster as well as the overall best and the front.
        let space = e.search?.space ?? []
        let fromSweep = e.sweep.filter { ["cluster.topology", "cluster.devices"].contains($0.path) && !space.map(\.path).contains($0.path) }
        for (path, values, at) in fromSweep.map({ ($0.path, $0.values, "sweep." + $0.path) }) + space.map({ ($0.path, $0.values, "search.space." + $0.path) }) {
            func fail(_ m: String) -> TrainSimError { TrainSimError(file: e.file, path: at, m) }
            func ints(_ range: ClosedRange<Int>) throws(TrainSimError) -> [Int] {
                var out: [Int] = []
                for v in values {
                    guard case let .number(d) = v, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
                        throw fail("expected whole numbers from \(range.lowerBound) to \(range.upperBound), found \(JSONWriter.write(v, pretty: false))")
                    }
                    if !out.contains(Int(d)) { out.append(Int(d)) }
                }
                return out
            }
            func strings(_ choices: [String]) throws(TrainSimError) -> [String] {
                var out: [String] = []
                for v in values {
                    guard case let .string(s) = v, choices.isEmpty || choices.contains(s) else {
                        throw fail("expected " + (choices.isEmpty ? "strings" : "some of " + choices.map { "\"\($0)\"" }.joined(separator: ", "))
                                    + ", found \(JSONWriter.write(v, pretty: false))")
                    }
                    if !out.contains(s) { out.append(s) }
                }
                return out
            }
            switch path {
            case "cluster.devices": devices = try ints(1...10_000_000)
            case "cluster.topology": topologies = try strings([])
            case "parallelism.tp": tp = try ints(1...65_536)
            case "parallelism.pp": pp = try ints(1...65_536)
            case "parallelism.vpp": vpp = try ints(1...1024)
            case "parallelism.cp": cp = try ints(1...65_536)
            case "parallelism.ep": ep = try ints(1...1_000_000)
            case "parallelism.etp": etp = try ints(1...65_536)
            case "training.recomputeLayers": recomputeLayers = try ints(1...100_000)
            case "parallelism.zero": zero = try ints(0...3)
            case "parallelism.schedule": schedule = try strings(PipelineSchedule.allCases.map(\.rawValue)).compactMap(PipelineSchedule.init)
            case "training.microBatchSequences": microBatch = try ints(1...1_000_000)
            case "training.recompute": recompute = try strings(Recompute.allCases.map(\.rawValue)).compactMap(Recompute.init)
            case "parallelism.cpAlgorithm":
                cpAlgorithm = try strings(ContextParallelAlgorithm.allCases.map(\.rawValue)).compactMap(ContextParallelAlgorithm.init)
            default:
                let hint = closestMatch(path, in: Self.keys).map { "; did you mean \"\($0)\"?" } ?? " (keys: \(Self.keys.joined(separator: ", ")))"
                throw TrainSimError(file: e.file, path: at, "not a knob a search can turn\(hint)")
            }
        }
    }

    /// Divisors of n in increasing order.
    static func divisors(_ n: Int) -> [Int] {
        guard n > 0 else { return [] }
        var small: [Int] = [], large: [Int] = []
        var d = 1
        while d * d <= n {
            if n % d == 0 { small.append(d); if d * d != n { large.append(n / d) } }
            d += 1
        }
        return small + large.reversed()
    }

    /// The plans of one cluster (devices on a built topology), in a fixed nesting order:
    /// tp, cp, pp, ep, schedule and vpp, micro-batch, recompute (and its layers), ZeRO stage, CP
    /// algorithm, expert TP. Plans that
    /// obviously cannot divide are left out here; the rest are checked as any experiment is.
    func plans(model m: ModelSpec, training t: TrainingSpec, devices: Int, domainDevices: Int,
               body: (_ tp: Int, _ cp: Int, _ pp: Int, _ dp: Int, _ ep: Int, _ schedule: PipelineSchedule, _ vpp: Int,
                      _ microBatch: Int, _ recompute: Recompute, _ zero: Int, _ cpAlgorithm: ContextParallelAlgorithm, _ etp: Int?,
                      _ recomputeLayers: Int?) -> Void) {
        let g = gcdInt(m.heads, m.ffnHidden)
        let tps = tp ?? Self.divisors(g).filter { $0 <= min(domainDevices, devices) && $0 <= 64 }
        let cps = cp ?? [1, 2, 4, 8].filter { t.sequenceLength % $0 == 0 && ($0 == 1 || t.sequenceLength / $0 >= 1024) }
        for tp in tps where devices % tp == 0 {
            for cp in cps where devices % (tp * cp) == 0 {
                // The algorithm matters only where the sequence is split.
                let algorithms = cp > 1 ? cpAlgorithm : [cpAlgorithm[0]]
                let pps = pp ?? Self.divisors(devices / (tp * cp)).filter { $0 <= m.layers && $0 <= 64 }
                for pp in pps where devices % (tp * cp * pp) == 0 {
                    let dp = devices / (tp * cp * pp)
                    guard t.globalBatchSequences % dp == 0 else { continue }
                    let eps: [Int]
                    if let moe = m.moe {
                        eps = (ep ?? Self.divisors(moe.experts)).filter { moe.experts % $0 == 0 && Placement.foldable(tp: tp, cp: cp, dp: dp, ep: $0) }
                    } else {
                        eps = [1]
                    }
                    for ep in eps {
                        // Expert TP matters only where experts are spread over EP with TP ranks to split them over.
                        var etps: [Int?] = [nil]
                        if let etp, m.moe != nil, ep > 1, tp > 1 {
                            etps = etp.filter { $0 == 1 || ($0 == tp && Placement.foldable(tp: tp, cp: cp, dp: dp, ep: ep, etp: tp)) }
                            if etps.isEmpty { continue }
                        }
                        for s in schedule {
                            if pp == 1, s != .oneFOneB { continue }
                            if s == .dualpipe, pp % 2 != 0 { continue }
                            var vpps = [1]
                            if s == .interleaved {
                                vpps = (vpp ?? Array(2...8)).filter { $0 > 1 && pp * $0 <= m.layers }
                            } else if let v = vpp, !v.contains(1) {
                                continue
                            }
                            for v in vpps {
                                let mbs = microBatch ?? [1, 2, 4, 8]
                                for mb in mbs where t.globalBatchSequences % (dp * mb) == 0 {
                                    let n = t.globalBatchSequences / (dp * mb)
                                    if s == .interleaved, n % pp != 0 { continue }
                                    if s == .dualpipe, n < 2 * pp { continue }
                                    for r in recompute {
                                        let limits: [Int?] = r == .full ? (recomputeLayers.map { $0.map(Optional.some) } ?? [nil]) : [nil]
                                        for n in limits { for z in zero { for a in algorithms { for x in etps { body(tp, cp, pp, dp, ep, s, v, mb, r, z, a, x, n) } } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

func gcdInt(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcdInt(b, a % b) }

extension SearchSpec {
    /// A search with trainsim's default space.
    public init(objective: String = "time", top: Int = 10) {
        self.init(objective: objective, top: top, space: [])
    }
}
