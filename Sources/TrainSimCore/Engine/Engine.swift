import Foundation

/// Simulates one training step of an experiment. Identical layers are costed once and
/// multiplied; identical data-parallel replicas are one replica (symmetry): the answer for
/// 100,000 devices costs what it costs for one pipeline.
public struct Engine: Sendable {
    public let experiment: Experiment
    public let cluster: Cluster
    public let network: CollectiveCostModel
    public var compute: ComputeModel

    /// The plan is checked as a decode checks it, so an experiment a library caller changed after
    /// decoding (an odd micro-batch count under DualPipe, a tp that does not divide the heads) is a
    /// one-line error here rather than a trap inside the simulation.
    public init(_ e: Experiment, network: CollectiveCostModel? = nil) throws(TrainSimError) {
        do { cluster = try Cluster(spec: e.cluster.topology, devices: e.cluster.devices) } catch { throw error.inFile(e.file ?? "experiment") }
        var checked = e
        try checked.validatePlan(clusterBuilt: true)
        experiment = checked
        self.network = network ?? NetworkBackends.make(e.cluster.network, cluster: cluster)
        compute = ComputeModel(experiment: checked)
    }

    /// An engine on a cluster built already (a sweep builds each distinct cluster once): `cluster`
    /// must be the one `e.cluster` describes, `network` a backend on it, and `e`'s plan checked
    /// already (as `Experiment.decode` and a sweep's points check it).
    public init(_ e: Experiment, cluster: Cluster, network: CollectiveCostModel) {
        experiment = e
        self.cluster = cluster
        self.network = network
        compute = ComputeModel(experiment: e)
    }

    public static func simulateStep(_ e: Experiment, network: CollectiveCostModel? = nil) throws(TrainSimError) -> StepResult {
        try Engine(e, network: network).step()
    }

    public func step() -> StepResult { step(memory: nil) }

    /// The memory peak `step()` reports, without simulating the step.
    public func memory() -> MemoryBreakdown {
        let e = experiment, par = e.parallelism
        let layout = StageLayout(layers: e.model.layers, pp: par.pp, vpp: par.vpp, split: par.layerSplit)
        return MemoryModel(e: e, device: compute.device, params: ParameterCount(e.model), layout: layout).peak(microBatches: e.microBatches)
    }

    /// Simulates every micro-batch instead of extending the steady state (the trace does).
    public var fullTimeline = false
    /// Whether concurrent collectives share the links (`LinkSharing`); off, each runs at its speed
    /// alone (for tests: the timeline is then a max-plus system, monotone in every duration).
    var linksShared = true

    /// The step, with its memory peak when the caller has it already (a plan search checks
    /// memory before it simulates).
    func step(memory known: MemoryBreakdown?) -> StepResult {
        let e = experiment, par = e.parallelism, m = e.model, dev = compute.device
        let params = ParameterCount(m)
        let layout = StageLayout(layers: m.layers, pp: par.pp, vpp: par.vpp, split: par.layerSplit)
        let mb = e.microBatches
        var wb = WorkloadBuilder(model: m, tp: par.tp, cp: par.cp, ep: par.ep, sequenceParallel: par.sequenceParallel && par.tp > 1,
                                 seq: e.training.sequenceLength, microBatch: e.training.microBatchSequences,
                                 elementwisePasses: dev.elementwisePasses)
        wb.apply(e.training.framework, attention: e.training.attention)
        let calls = Double(e.training.microBatchSequences)
        let denseW = wb.denseLayer(), moeW = wb.moeLayer()
        let denseT = compute.forwardSeconds(denseW, attentionCalls: calls)
        let moeT = compute.forwardSeconds(moeW, attentionCalls: calls)
        let outT = compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1)
        let embT = compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1)

        let stages = StageCompute(model: m, parallelism: par, recompute: e.training.recompute, device: dev, layout: layout,
                                  dense: denseT, moe: moeT, output: outT, embedding: embT, recomputeLayers: e.training.recomputeLimit)
        // The step as simulated events: every figure below is read off the timeline.
        let (tl, graph) = timelineSummary(full: fullTimeline)
        let bd = tl.breakdown
        let step = tl.stepSeconds
        let bottleneck = tl.stage
        let fwd = stages.forward, bwd = stages.backward
        let tokens = e.training.globalBatchTokens
        let mf = FLOPCount.model(m, seq: e.training.sequenceLength)
        let hf = FLOPCount.executed(m, seq: e.training.sequenceLength, recompute: e.training.recompute,
                                    recomputedShare: layout.recomputedShare(limit: e.training.recomputeLimit))
        var records: [CollectiveRecord] = []
        for (r, req) in graph.requests.enumerated() where tl.calls[r] > 0 {
            let cost = graph.requestCost[r]
            if let k = records.firstIndex(where: { $0.label == req.label && $0.kind == req.kind && $0.bytes == req.bytes && $0.group == req.group }) {
                records[k].callsPerStep += tl.calls[r]; records[k].exposedSeconds += tl.exposed[r]
            } else {
                records.append(CollectiveRecord(label: req.label, kind: req.kind, groupSize: req.group.size, bytes: req.bytes,
                                                callsPerStep: tl.calls[r], cost: cost, exposedSeconds: tl.exposed[r], group: req.group))
            }
        }
        var utilization: [[LinkTierUtilization]] = []
        // The flow kernel also reports how busy each tier's links are during each collective.
        if let flow = network.flowNetwork {
            for rec in records {
                guard let g = rec.group else { continue }
                utilization.append(flow.linkUtilization(CollectiveRequest(kind: rec.kind, bytes: rec.bytes, group: g, label: rec.label)))
            }
        }
        var byTier: [String: Double] = [:]
        for r in records where r.exposedSeconds > 0 && r.cost.seconds > 0 {
            // Summed in the tiers' order: a dictionary's order changes from run to run, and with
            // three tiers so would the sum's last bit.
            let tiers = r.cost.perTier.keys.sorted()
            let total = tiers.reduce(0) { $0 + r.cost.perTier[$1]! }
            guard total > 0 else { continue }
            for tier in tiers { byTier[tier, default: 0] += r.exposedSeconds * r.cost.perTier[tier]! / total }
        }
        var busy: [String: Double] = [:]
        for (t, name) in graph.tierNames.enumerated() where tl.tierBusy[t] > 0 { busy[name] = tl.tierBusy[t] }
        let mem = known ?? memory()
        return StepResult(stepSeconds: step, breakdown: bd, memory: mem, microBatches: mb, tokensPerStep: tokens,
                          modelFLOPsPerToken: mf, hardwareFLOPsPerToken: hf, parameters: params.total,
                          activeParameters: params.active, stageForwardSeconds: fwd, stageBackwardSeconds: bwd,
                          bottleneckStage: bottleneck, collectives: records, networkBackend: network.name, exposedByTier: byTier,
                          linkUtilization: utilization, stageBreakdowns: tl.stages, tierBusySeconds: busy)
    }

    /// Adam step over the local shard: ~30 bytes read and written per parameter.
    func optimizerSeconds(params: ParameterCount, layout: StageLayout, stage: Int) -> Double {
        let model = MemoryModel(e: experiment, device: compute.device, params: params, layout: layout)
        let mem = model.breakdown(stage: stage, microBatches: 1)
        let localParams = mem.optimizerGiB * MemoryModel.gib / model.optimizerBytesPerParameter
        return compute.memorySeconds(localParams * 30) + 20 * compute.device.kernelOverheadUs * 1e-6
    }
}
