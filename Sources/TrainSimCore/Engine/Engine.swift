import Foundation

/// Simulates one training step of an experiment. Identical layers are costed once and
/// multiplied; identical data-parallel replicas are one replica (symmetry): the answer for
/// 100,000 devices costs what it costs for one pipeline.
public struct Engine: Sendable {
    public let experiment: Experiment
    public let cluster: Cluster
    public let network: CollectiveCostModel
    public var compute: ComputeModel

    public init(_ e: Experiment, network: CollectiveCostModel? = nil) throws(TrainSimError) {
        experiment = e
        do { cluster = try Cluster(spec: e.cluster.topology, devices: e.cluster.devices) } catch { throw error.inFile(e.file ?? "experiment") }
        self.network = network ?? NetworkBackends.make(e.cluster.network, cluster: cluster)
        compute = ComputeModel(experiment: e)
    }

    public static func simulateStep(_ e: Experiment, network: CollectiveCostModel? = nil) throws(TrainSimError) -> StepResult {
        try Engine(e, network: network).step()
    }

    public func step() -> StepResult { step(memory: nil) }

    /// The step, with its memory peak when the caller has it already (a plan search checks
    /// memory before it simulates).
    func step(memory known: MemoryBreakdown?) -> StepResult {
        let e = experiment, par = e.parallelism, m = e.model, dev = compute.device
        let place = Placement(par)
        let params = ParameterCount(m)
        let layout = StageLayout(layers: m.layers, pp: par.pp, vpp: par.vpp, split: par.layerSplit)
        let mb = e.microBatches
        var wb = WorkloadBuilder(model: m, tp: par.tp, cp: par.cp, ep: par.ep, sequenceParallel: par.sequenceParallel && par.tp > 1,
                                 seq: e.training.sequenceLength, microBatch: e.training.microBatchSequences,
                                 elementwisePasses: dev.elementwisePasses)
        wb.unfusedAttention = e.training.attention == .unfused
        let calls = Double(e.training.microBatchSequences)
        let denseW = wb.denseLayer(), moeW = wb.moeLayer()
        let denseT = compute.forwardSeconds(denseW, attentionCalls: calls)
        let moeT = compute.forwardSeconds(moeW, attentionCalls: calls)
        let outT = compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1)
        let embT = compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1)

        // Collectives per layer and micro-batch.
        let comm = LayerComm(e: e, place: place, network: network, cluster: cluster, wb: wb)
        let denseC = comm.perLayer(moe: false, fwd: denseT, bwd: denseT.backward)
        let moeC = comm.perLayer(moe: true, fwd: moeT, bwd: moeT.backward)

        let recomputeFull = e.training.recompute == .full
        let recomputeSel = e.training.recompute == .selective
        let stages = StageCompute(model: m, parallelism: par, recompute: e.training.recompute, device: dev, layout: layout,
                                  dense: denseT, moe: moeT, output: outT, embedding: embT)
        var fwd: [Double] = [], bwd: [Double] = [], comp: [Double] = []
        var exposed: [LayerComm.Exposed] = []
        for p in 0..<par.pp {
            let f = stages.forward[p], b = stages.backward[p]
            let c = denseC * stages.dense[p] + moeC * stages.moe[p]
            comp.append(f + b)
            fwd.append(f + c.forwardExposed)
            bwd.append(b + c.backwardExposed)
            exposed.append(c)
        }
        var bottleneck = 0
        for p in 1..<max(par.pp, 1) {
            let here: Double = fwd[p] + bwd[p]
            let best: Double = fwd[bottleneck] + bwd[bottleneck]
            if here > best { bottleneck = p }
        }
        let perMicro = fwd[bottleneck] + bwd[bottleneck]
        var bd = StepBreakdown()
        bd.compute = Double(mb) * comp[bottleneck]
        let ex = exposed[bottleneck]
        bd.tp = Double(mb) * ex.tp
        bd.cp = Double(mb) * ex.cp
        bd.ep = Double(mb) * ex.ep
        // Pipeline bubble, by schedule (Narayanan 2021; Qi et al. 2024 ZB-H1; DeepSeek-V3 DualPipe).
        let ppF = Double(par.pp - 1)
        switch par.schedule {
        case .oneFOneB: bd.bubble = ppF * perMicro
        case .interleaved: bd.bubble = ppF * perMicro / Double(par.vpp)
        case .zeroBubble: bd.bubble = ppF * fwd[bottleneck]
        case .dualpipe: bd.bubble = max(0, Double(par.pp / 2 - 1)) * fwd[bottleneck]
        }
        // Pipeline send/recv: each micro-batch crosses each boundary forward and backward; the
        // fill and drain path of 2(pp-1) transfers is exposed, the steady state is overlapped.
        let p2p = comm.pipelineTransfer()
        bd.pp = par.pp > 1 ? 2 * ppF * Double(par.vpp) * p2p.cost.seconds : 0
        // Data-parallel gradient and parameter synchronisation.
        let dp = comm.dataParallel(params: params, layout: layout, stage: bottleneck,
                                   backwardWindow: bwd[bottleneck], forwardWindow: fwd[bottleneck], microBatches: mb)
        bd.dp = dp.exposed
        bd.optimizer = optimizerSeconds(params: params, layout: layout, stage: bottleneck)
        let step = bd.total

        let tokens = e.training.globalBatchTokens
        let mf = modelFLOPsPerToken(m, seq: e.training.sequenceLength)
        var hf = mf
        if recomputeFull {
            // Full recompute repeats the layers' forward, not the output layer's: Megatron's
            // 96 B s l h^2 (1 + s/6h + V/16lh) per iteration (Narayanan et al. 2021).
            let outputFLOPs = 6 * Double(m.vocab) * Double(m.hidden)
            hf = mf + (mf - outputFLOPs) / 3
        } else if recomputeSel {
            hf = mf + attentionModelFLOPs(m, seq: e.training.sequenceLength) / 3
        }
        var records = comm.records
        var utilization: [[LinkTierUtilization]] = []
        records.append(contentsOf: dp.records)
        if par.pp > 1 { records.append(CollectiveRecord(label: "pp", kind: .sendRecv, groupSize: 2, bytes: p2p.bytes,
                                                        callsPerStep: Double(2 * mb * par.vpp), cost: p2p.cost, exposedSeconds: bd.pp,
                                                        group: place.ppNeighbours)) }
        // The flow kernel also reports how busy each tier's links are during each collective.
        if let flow = network as? FlowNetwork {
            for i in records.indices {
                guard let g = records[i].group else { continue }
                let r = CollectiveRequest(kind: records[i].kind, bytes: records[i].bytes, group: g, label: records[i].label)
                utilization.append(flow.linkUtilization(r))
            }
        }
        var byTier: [String: Double] = [:]
        for r in records where r.exposedSeconds > 0 && r.cost.seconds > 0 {
            for (tier, s) in r.cost.perTier { byTier[tier, default: 0] += r.exposedSeconds * s / r.cost.seconds }
        }
        let mem = known ?? MemoryModel(e: e, device: dev, params: params, layout: layout).peak(microBatches: mb)
        return StepResult(stepSeconds: step, breakdown: bd, memory: mem, microBatches: mb, tokensPerStep: tokens,
                          modelFLOPsPerToken: mf, hardwareFLOPsPerToken: hf, parameters: params.total,
                          activeParameters: params.active, stageForwardSeconds: fwd, stageBackwardSeconds: bwd,
                          bottleneckStage: bottleneck, collectives: records, networkBackend: network.name, exposedByTier: byTier,
                          linkUtilization: utilization)
    }

    /// Adam step over the local shard: ~30 bytes read and written per parameter.
    func optimizerSeconds(params: ParameterCount, layout: StageLayout, stage: Int) -> Double {
        let mem = MemoryModel(e: experiment, device: compute.device, params: params, layout: layout).breakdown(stage: stage, microBatches: 1)
        // Optimizer GiB holds 12 bytes per local parameter.
        let localParams = mem.optimizerGiB * MemoryModel.gib / 12
        return compute.memorySeconds(localParams * 30) + 20 * compute.device.kernelOverheadUs * 1e-6
    }
}

/// Attention-core model FLOPs per token (full score matrix), all layers.
func attentionModelFLOPs(_ m: ModelSpec, seq: Int) -> Double {
    let s = Double(seq)
    if let mla = m.mla { return 6 * s * Double(m.heads) * Double(mla.headDim + mla.ropeHeadDim + mla.vHeadDim) * Double(m.layers) }
    return 12 * s * Double(m.heads * m.headDim) * Double(m.layers)
}
