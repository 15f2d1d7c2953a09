import Foundation

/// Finds the best parallel plans for a model on a cluster, by step time or by the run's cost,
/// with memory as a hard limit, and the time-cost Pareto front.
///
/// Every candidate gets a cheap lower bound on its step time (`BoundCache`: its busiest pipeline
/// stage's compute for every micro-batch plus the fill and drain, the collectives the compute
/// stream always waits for, each stream's load, and `PassBound`, the schedule's own order of
/// passes with only those waits).
/// Candidates are tried in order of that bound; one whose bound cannot enter the best N and is
/// dominated on time and cost by a plan already simulated is pruned, so pruning never drops a
/// plan of the answer. Memory is checked exactly before the full simulation. The answer does
/// not depend on the order candidates are tried in, so ranks may share them in any way.
public struct PlanSearch: Sendable {
    public enum Objective: String, Sendable { case time, cost }

    /// One candidate plan; `cluster` indexes `clusters`.
    public struct Candidate: Sendable {
        public var cluster: Int
        public var tp: Int, cp: Int, pp: Int, dp: Int, ep: Int, vpp: Int, microBatch: Int, zero: Int
        public var schedule: PipelineSchedule
        public var recompute: Recompute
        public var cpAlgorithm: ContextParallelAlgorithm
        /// Expert tensor parallelism from `search.space` (nil: the experiment's, or the stack's default).
        public var etp: Int? = nil
        /// Layers per chunk full recompute reruns, from `search.space` (nil: the experiment's).
        public var recomputeLayers: Int? = nil
        /// Lower bound of the step time, seconds.
        public var secondsBound: Double
    }

    /// A cluster the search may use: a device count on a topology design.
    public struct ClusterChoice: Sendable {
        public var devices: Int
        public var topology: String
        /// The experiment on this cluster (its plan is replaced per candidate).
        public var base: Experiment
        /// Cost of the whole run per second of step time (cost is linear in step time).
        public var costPerStepSecond: Double
        /// In flow mode, one flow network for every candidate on this cluster: its collective
        /// profiles (and topology graph) are shared instead of rebuilt per candidate.
        public var network: CollectiveCostModel? = nil
    }

    public let objective: Objective
    public let top: Int
    public let clusters: [ClusterChoice]
    /// Clusters of the space that cannot be built, with the reason.
    public let unbuildable: [String]
    /// Every candidate, in enumeration order; a candidate's id is its index here.
    public let candidates: [Candidate]
    /// Candidate ids by increasing bound of the objective (ties by id): the order to try them in.
    public let order: [Int]
    let sequenceParallel: Bool
    /// Per cluster, built once: the cluster and the network that the bounds (see `tightBound`) and
    /// the simulated candidates cost collectives with.
    let boundNetworks: [CollectiveCostModel?]
    /// Steps simulated already, by their graph: candidates whose step is one seen before reuse it.
    private let timelines = TimelineCache()
    let boundClusters: [Cluster?]

    public init(_ e: Experiment) throws(TrainSimError) {
        let space = try SearchSpace(e)
        objective = Objective(rawValue: e.search?.objective ?? "time") ?? .time
        top = e.search?.top ?? 10
        if case let .bool(b)? = e.raw.value(at: ["parallelism", "sequenceParallel"]) { sequenceParallel = b } else { sequenceParallel = true }
        var clusters: [ClusterChoice] = [], unbuildable: [String] = []
        for ref in space.topologies {
            let topo = ref == e.cluster.topologyReference ? e.cluster.topology
                : try TopologySpec.load(ref, relativeTo: e.folder, referencedFrom: e.file, keyPath: "search.space.cluster.topology")
            for d in space.devices {
                let built: Cluster
                do { built = try Cluster(spec: topo, devices: d) } catch {
                    unbuildable.append("\(d) devices on \(ref): \(error.message)")
                    continue
                }
                var b = e
                b.cluster = ClusterSpec(topologyReference: ref, topology: topo, devices: d, network: e.cluster.network)
                if ref != e.cluster.topologyReference { try b.restack() }
                b.sweep = []
                b.search = nil
                b.parallelism.layerSplit = nil
                let unit = RunEstimate(experiment: b, step: .unit(tokensPerStep: b.training.globalBatchTokens))
                clusters.append(ClusterChoice(devices: d, topology: ref, base: b, costPerStepSecond: unit.totalCost,
                                              network: e.cluster.network == .flow ? NetworkBackends.make(.flow, cluster: built) : nil))
            }
        }
        self.clusters = clusters
        self.unbuildable = unbuildable
        var all: [Candidate] = []
        var boundNetworks: [CollectiveCostModel?] = [], boundClusters: [Cluster?] = []
        for (ci, c) in clusters.enumerated() {
            let cluster = try? Cluster(spec: c.base.cluster.topology, devices: c.devices)
            let net = c.network ?? cluster.map { NetworkBackends.make(.analytical, cluster: $0) }
            boundNetworks.append(net)
            boundClusters.append(cluster)
            var bounds = BoundCache(e: c.base, sequenceParallel: sequenceParallel, network: net, cluster: cluster)
            space.plans(model: c.base.model, training: c.base.training, devices: c.devices, domainDevices: cluster?.domainDevices ?? 1) {
                tp, cp, pp, dp, ep, s, vpp, mb, r, z, a, x, n in
                let b = bounds.seconds(tp: tp, cp: cp, pp: pp, dp: dp, ep: ep, schedule: s, vpp: vpp, microBatch: mb, recompute: r, zero: z, etp: x,
                                       recomputeLayers: n, cpAlgorithm: a)
                all.append(Candidate(cluster: ci, tp: tp, cp: cp, pp: pp, dp: dp, ep: ep, vpp: vpp, microBatch: mb, zero: z,
                                     schedule: s, recompute: r, cpAlgorithm: a, etp: x, recomputeLayers: n, secondsBound: b * (1 - 1e-9)))
            }
        }
        candidates = all
        self.boundNetworks = boundNetworks
        self.boundClusters = boundClusters
        let byTime = objective == .time, perSecond = clusters.map(\.costPerStepSecond)
        let keys = all.map { byTime ? $0.secondsBound : $0.secondsBound * perSecond[$0.cluster] }
        order = all.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
    }

    /// The validated experiment of candidate `id`.
    public func experiment(_ id: Int) throws(TrainSimError) -> Experiment {
        let c = candidates[id]
        var e = clusters[c.cluster].base
        let p = e.parallelism
        e.parallelism = ParallelismSpec(tp: c.tp, pp: c.pp, vpp: c.vpp, dp: c.dp, ep: c.ep, cp: c.cp,
                                        sequenceParallel: sequenceParallel && c.tp > 1, zero: c.zero, schedule: c.schedule,
                                        order: p.order, layerSplit: nil, cpAlgorithm: c.cpAlgorithm, expertTP: c.etp ?? p.expertTP)
        e.training.microBatchSequences = c.microBatch
        e.training.recompute = c.recompute
        if let n = c.recomputeLayers { e.training.recomputeLayers = n }
        try e.validatePlan()
        return e
    }

    public enum Outcome: Sendable {
        case invalid
        case outOfMemory
        case scored(ScoredPlan)
    }

    /// Simulates candidate `id` (memory first: a plan that does not fit is not simulated further).
    public func evaluate(_ id: Int) -> Outcome {
        guard let e = try? experiment(id) else { return .invalid }
        let params = ParameterCount(e.model)
        let layout = StageLayout(layers: e.model.layers, pp: e.parallelism.pp, vpp: e.parallelism.vpp, split: nil)
        let memory = MemoryModel(e: e, device: e.cluster.topology.device, params: params, layout: layout).peak(microBatches: e.microBatches)
        guard memory.fits else { return .outOfMemory }
        // The cluster and its network were built once for every candidate on it, and `experiment`
        // checked the plan: the engine neither rebuilds nor re-checks them.
        let ci = candidates[id].cluster
        guard let cluster = boundClusters[ci], let network = boundNetworks[ci] else { return .invalid }
        let step = TimelineCache.using(timelines) { Engine(e, cluster: cluster, network: network).step(memory: memory) }
        let run = RunEstimate(experiment: e, step: step)
        return .scored(ScoredPlan(id: id, seconds: step.stepSeconds, cost: run.totalCost))
    }

    /// The memory peak of candidate `id`, as the search checks it.
    public func memory(_ id: Int) throws(TrainSimError) -> MemoryBreakdown {
        let e = try experiment(id)
        let layout = StageLayout(layers: e.model.layers, pp: e.parallelism.pp, vpp: e.parallelism.vpp, split: nil)
        return MemoryModel(e: e, device: e.cluster.topology.device, params: ParameterCount(e.model), layout: layout).peak(microBatches: e.microBatches)
    }

    /// A tighter lower bound of candidate `id`'s objective than `objectiveBound`: with the
    /// schedule's own order of passes (`PassBound`), which costs time in the number of passes and
    /// is asked for only where the closed form does not prune.
    public func tightBound(_ id: Int) -> (seconds: Double, cost: Double) {
        let c = candidates[id]
        var bounds = BoundCache(e: clusters[c.cluster].base, sequenceParallel: sequenceParallel, network: boundNetworks[c.cluster],
                                cluster: boundClusters[c.cluster])
        let b = bounds.seconds(tp: c.tp, cp: c.cp, pp: c.pp, dp: c.dp, ep: c.ep, schedule: c.schedule, vpp: c.vpp, microBatch: c.microBatch,
                               recompute: c.recompute, zero: c.zero, etp: c.etp, recomputeLayers: c.recomputeLayers,
                               cpAlgorithm: c.cpAlgorithm, passes: true)
        let seconds = max(c.secondsBound, b * (1 - 1e-9))
        return (seconds, seconds * clusters[c.cluster].costPerStepSecond)
    }

    /// The objective's lower bound for candidate `id`.
    public func objectiveBound(_ id: Int) -> (seconds: Double, cost: Double) {
        let c = candidates[id]
        return (c.secondsBound, c.secondsBound * clusters[c.cluster].costPerStepSecond)
    }
}

extension StepResult {
    /// A step of one second that moves `tokensPerStep` tokens (the run's cost per step-second).
    static func unit(tokensPerStep: Double) -> StepResult {
        StepResult(stepSeconds: 1, breakdown: StepBreakdown(),
                   memory: MemoryBreakdown(weightsGiB: 0, gradientsGiB: 0, optimizerGiB: 0, activationsGiB: 0, logitsGiB: 0,
                                           reservedGiB: 0, capacityGiB: 0, stage: 0),
                   microBatches: 1, tokensPerStep: tokensPerStep, modelFLOPsPerToken: 0, hardwareFLOPsPerToken: 0, parameters: 0,
                   activeParameters: 0, stageForwardSeconds: [], stageBackwardSeconds: [], bottleneckStage: 0, collectives: [],
                   networkBackend: "", exposedByTier: [:])
    }
}
