/// Memory per device: model states under ZeRO 0-3 (bf16 weights, main gradients in the stack's
/// gradient-reduction dtype (`gradReduceBytes`: fp32 unless the stack reduces in bf16, as
/// Megatron-Core's `grad_reduce_in_fp32` decides the dtype of its gradient buffer), fp32 master
/// weights and two Adam moments: 2 + 4 + 12 bytes per parameter in Megatron's distributed-optimizer
/// table (docs/source/api-guide/dist_optimizer.md), the 12 sharded over DP x CP with ZeRO >= 1; under
/// FSDP's ZeRO-3, 4 + 4 + 8 sharded, its fp32 shard being the master: `zero3MasterShard`), activations (Korthikanti et al. 2022, generalised to
/// GQA, MLA, gated and MoE MLPs; flash attention, so no s^2 term), the micro-batches a
/// pipeline stage keeps in flight, the output layer's logits, and the runtime's reserve.
public struct MemoryBreakdown: Sendable, Equatable {
    public var weightsGiB: Double
    public var gradientsGiB: Double
    public var optimizerGiB: Double
    public var activationsGiB: Double
    public var logitsGiB: Double
    public var reservedGiB: Double
    public var capacityGiB: Double
    public var stage: Int
    public var peakGiB: Double { weightsGiB + gradientsGiB + optimizerGiB + activationsGiB + logitsGiB + reservedGiB }
    public var fits: Bool { peakGiB <= capacityGiB }
}

struct MemoryModel {
    let e: Experiment
    let device: DeviceSpec
    let params: ParameterCount
    let layout: StageLayout

    static let gib = 1073741824.0

    /// Optimizer bytes per parameter: fp32 master weights and two Adam moments (12), plus an fp32
    /// copy of the gradient when the gradient buffer is 16-bit (Megatron's table: 4 + 16/d for
    /// 16-bit gradients, 6 + 12/d for fp32 ones).
    var optimizerBytesPerParameter: Double { e.training.framework.gradReduceBytes < 4 ? 16 : 12 }

    /// Activation bytes one layer keeps for backward, per micro-batch, per device.
    /// `recompute` overrides the experiment's (the layer being recomputed holds its full activations).
    func activationBytes(moeLayer: Bool, recompute: Recompute? = nil) -> Double {
        let m = e.model, p = e.parallelism
        let s = Double(e.training.sequenceLength / p.cp), b = Double(e.training.microBatchSequences)
        let sb = s * b
        let h = Double(m.hidden), t = Double(p.tp)
        let sp = p.sequenceParallel && p.tp > 1
        if (recompute ?? e.training.recompute) == .full {
            return 2 * sb * h / (sp ? t : 1)
        }
        // Attention: input, q/k/v, attention output, dropout mask.
        var qkv: Double
        if let mla = m.mla, e.training.recompute == .selective {
            // Selective recompute of MLA keeps only the compressed latents and recomputes the
            // up-projections (DeepSeek-V3 report, sec. 3.2.3).
            qkv = 2 * Double(mla.qLoraRank + mla.kvLoraRank + mla.ropeHeadDim) * t
        } else if let mla = m.mla {
            let hq = Double(m.heads)
            qkv = 2 * (Double(mla.qLoraRank) + Double(mla.kvLoraRank + mla.ropeHeadDim)
                       + hq * Double(mla.headDim + mla.ropeHeadDim) * 2 + hq * Double(mla.vHeadDim))
        } else {
            qkv = 2 * Double(m.heads * m.headDim + 2 * m.kvHeads * m.headDim)
        }
        let attnOut = 2 * Double(m.heads * (m.mla?.vHeadDim ?? m.headDim))
        let shardedAttn = sb * (qkv + attnOut) / t
        // Inputs and norms (8sbh) and, with dropout, its two 1-byte masks: Korthikanti's 10sbh.
        let masks = m.dropout > 0 ? 2 * h : 0
        let replicated = sb * (2 * h + 4 * h + 2 * h + masks)
        var mlp: Double
        let mats = m.gatedMLP ? 3.0 : 2.0
        if moeLayer, let moe = m.moe {
            let fe = Double(moe.expertFfnHidden)
            let slots = sb * Double(moe.topK) * moe.busiestShare(ep: p.ep)
            // With experts split over TP (etp > 1) each TP rank holds the routed tokens of the whole
            // TP group, gathered, beside its slice of their expert activations.
            let gathered = p.etp > 1 ? Double(p.tp) : 1
            mlp = slots * (2 * h * gathered + 2 * mats * fe) / t + sb * Double(moe.sharedExperts) * 2 * mats * fe / t + sb * 4 * Double(moe.experts) / t
        } else {
            mlp = sb * 2 * mats * Double(m.ffnHidden) / t
        }
        // FP8 training caches the inputs of its FP8 GEMMs in FP8 (DeepSeek-V3 report, sec. 3.3).
        let gemmInputs = e.training.precision == .fp8 ? 0.5 : 1.0
        // Unfused attention without selective recompute keeps the score matrix: 5 a s^2 b / t
        // (softmax output, dropout mask and output); 2 a s^2 b / t without dropout.
        var scores = 0.0
        if e.training.attention == .unfused, e.training.recompute == .none {
            scores = (m.dropout > 0 ? 5 : 2) * Double(m.heads) * s * Double(e.training.sequenceLength) * b / t
        }
        return (shardedAttn + mlp) * gemmInputs + replicated / (sp ? t : 1) + scores
    }

    /// Micro-batches whose activations stage `p` holds at the peak of the schedule.
    func inFlight(stage p: Int, microBatches: Int) -> Double {
        let pp = e.parallelism.pp, v = Double(e.parallelism.vpp)
        // Paired MoE passes without a pipeline hold a second micro-batch (`PipelineOrder`).
        let paired = pp == 1 && e.pairsExpertPasses(ep: e.parallelism.ep)
        let base = Double(min(microBatches, pp - p + (paired ? 1 : 0)))
        switch e.parallelism.schedule {
        case .oneFOneB: return base
        // ZB-H1: rank p holds back p weight passes, and their micro-batches' activations with them
        // (`PipelineOrder`): pp micro-batches on every rank, 1F1B's peak.
        case .zeroBubble: return Double(min(microBatches, pp))
        // Megatron's interleaved warm-up: 2(pp - p - 1) + (v - 1) g chunk forwards before the first
        // backward (g: the micro-batch group, pp by default; schedules.py,
        // forward_backward_pipelining_with_interleaving), each 1/v of the stage's layers, and one
        // more in flight: nearly pp micro-batches on every rank with the default group.
        case .interleaved:
            let chunks = min(Double(microBatches) * v, Double(2 * (pp - p - 1) + (e.parallelism.vpp - 1) * e.parallelism.group + 1))
            return chunks / v
        // DualPipe holds PP + 1 micro-batches of one chunk, and a device's chunk is half its
        // layers (two chunks, one per direction): DeepSeek-V3 report, table 2.
        case .dualpipe: return min(Double(microBatches), Double(pp + 1) / 2)
        }
    }

    func breakdown(stage p: Int, microBatches: Int) -> MemoryBreakdown {
        let par = e.parallelism
        let m = e.model
        let t = Double(par.tp)
        var dense = 0.0, expert = 0.0
        var actPerMicro = 0.0
        var count = 0
        let moeStart = m.moe?.denseLayers ?? m.layers
        // Per-layer figures depend only on the kind of layer: computed once, added per layer.
        let (denseLayer, moeDense, moeExpert) = params.perDevice(tp: par.tp, ep: par.ep, etp: par.etp)
        let hasMoE = m.moe != nil
        let actMoE = activationBytes(moeLayer: true), actDense = activationBytes(moeLayer: false)
        // Full recompute with a limit: the layers it does not rerun keep all their activations.
        let limit = e.training.recomputeLimit
        let keptMoE = limit == nil ? actMoE : activationBytes(moeLayer: true, recompute: Recompute.none)
        let keptDense = limit == nil ? actDense : activationBytes(moeLayer: false, recompute: Recompute.none)
        layout.forEachLayer(ofStage: p) { l in
            count += 1
            let rerun = limit == nil || layout.recomputes(l, limit: limit)
            if hasMoE && l >= moeStart {
                dense += moeDense
                expert += moeExpert
                actPerMicro += rerun ? actMoE : keptMoE
            } else {
                dense += denseLayer
                actPerMicro += rerun ? actDense : keptDense
            }
        }
        // The embedding and output layer are not fp8 linears: they stay 16-bit whatever `fp8Params` says.
        var embeddings = 0.0
        if p == 0 { embeddings += params.embedding / t }
        if p == par.pp - 1 { embeddings += (e.copiesTiedEmbedding ? params.embedding : params.outputLayer) / t }
        dense += embeddings
        var dDense = Double(par.dp * par.cp), dExpert = Double(par.tp * par.dp * par.cp / (par.ep * par.etp))
        // Hybrid sharding: the states are sharded over the shard groups only.
        if par.zeroShardGroup != nil, let groups = Placement(par).shardGroups {
            dDense = Double(groups.dense.inner.size)
            dExpert = Double(groups.expert.inner.size)
        }
        let g = e.training.framework.gradReduceBytes, o = optimizerBytesPerParameter
        let w = e.training.framework.parameterBytes(e.training.precision)
        let masterShard = e.training.framework.zero3MasterShard
        /// The states of `n` parameters whose model copy takes `held` bytes gathered, sharded over `d`.
        func states(_ n: Double, held: Double, _ d: Double) -> (Double, Double, Double) {
            switch par.zero {
            case 0: return (held, g * n, o * n)
            case 1: return (held, g * n, o * n / d)
            case 2: return (held, g * n / d, o * n / d)
            default:
                // FSDP: the fp32 shard is the master copy and its gradient is fp32; Adam's two moments.
                if masterShard { return (4 * n / d, 4 * n / d, 8 * n / d) }
                return (held / d, g * n / d, o * n / d)
            }
        }
        let denseHeld = w * (dense - embeddings) + 2 * embeddings, expertHeld = w * expert
        let a = states(dense, held: denseHeld, dDense), b = states(expert, held: expertHeld, dExpert)
        var weights = a.0 + b.0
        var grads = a.1 + b.1
        if par.zero3GathersOnce {
            // Under pipelining the stage's units stay gathered from their first forward to their
            // last backward, and their gradients accumulate unsharded in the reduction dtype.
            // (A group sharded over one rank holds its states whole already.)
            for (n, held, d, states) in [(dense, denseHeld, dDense, a), (expert, expertHeld, dExpert, b)] where d > 1 {
                weights += held
                grads += g * n - states.1
            }
        }
        if par.schedule == .dualpipe { weights *= 2 }
        if par.zero3EveryMicroBatch, let perLayer = count == 0 ? nil : (dense + expert) / Double(count) {
            weights += 2 * w * perLayer // two layers gathered at a time (prefetch)
        }
        var act = actPerMicro * inFlight(stage: p, microBatches: microBatches)
        if e.training.recompute == .full, count > 0 {
            // One layer's full activations exist while it is recomputed.
            act += activationBytes(moeLayer: m.moe != nil, recompute: Recompute.none)
        }
        var logits = 0.0
        if p == par.pp - 1 {
            let tokens = Double(e.training.sequenceLength / par.cp * e.training.microBatchSequences)
            logits = tokens * Double(m.vocab) / t * e.training.framework.logitsBytes
        }
        return MemoryBreakdown(weightsGiB: weights / Self.gib, gradientsGiB: grads / Self.gib,
                               optimizerGiB: (a.2 + b.2) / Self.gib, activationsGiB: act / Self.gib,
                               logitsGiB: logits / Self.gib, reservedGiB: device.reservedGiB,
                               capacityGiB: device.hbmGiB, stage: p)
    }

    /// The stage with the highest peak.
    func peak(microBatches: Int) -> MemoryBreakdown {
        var best = breakdown(stage: 0, microBatches: microBatches)
        for p in 1..<e.parallelism.pp {
            let b = breakdown(stage: p, microBatches: microBatches)
            if b.peakGiB > best.peakGiB { best = b }
        }
        return best
    }
}
