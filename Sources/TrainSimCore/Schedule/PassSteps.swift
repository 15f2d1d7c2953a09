/// One pass (forward, backward, input-gradient or weight-gradient) of one virtual stage, as the
/// list of steps its stack runs: compute pieces on the compute stream and collectives on their
/// streams, with when the compute stream waits for each collective. `StepGraphBuilder` turns
/// the steps into operations of the task graph.
enum PassStep: Sendable {
    /// When the compute stream waits for a collective: before its next compute (`now`), at the
    /// next `join`, or never (a later operation or the step's end waits for it).
    enum Wait: UInt8, Sendable { case now, later, never }
    /// `layers`: how many identical layers the step stands for (a block of layers run as one).
    case compute(seconds: Double, layer: Int32, layers: Int32, name: UInt16)
    case comm(request: Int32, seconds: Double, stream: TaskGraph.Stream, category: TaskGraph.Category, smShare: Double,
              layer: Int32, layers: Int32, name: UInt16, wait: Wait)
    /// Collectives issued with `later` become waits of the next compute.
    case join
    /// ZeRO parameter gathers: issue the gather of a layer's parameters; make the next compute wait for it.
    case gatherIssue(layer: Int32)
    case gatherWait(layer: Int32)
    /// The weight gradients of a layer (or of the output layer or embedding) are complete.
    case gradReady(layer: Int32)
}

extension StepGraphBuilder {
    /// Names of the pseudo-layers that hold the output layer and the embedding.
    var outputLayerID: Int32 { Int32(e.model.layers) }
    var embeddingLayerID: Int32 { Int32(e.model.layers + 1) }

    /// Runs of identical consecutive layers (dense, then MoE; recomputed, then not), each emitted
    /// once with its work multiplied; per layer where the pass reduces gradients or gathers
    /// parameters per layer. In overlapped pairs (`pairsLayers`) of an MoE model, its dense layers
    /// go one by one: a merged run of them would be one compute operation, which the other pass's
    /// expert all-to-alls could not interleave with (DualPipe interleaves the two chunks' layers,
    /// dense or MoE: DeepSeek-V3 report, sec. 3.2.1, fig. 4). A run of MoE layers keeps its
    /// components (attention, dispatch, experts, combine) and so interleaves with the other pass
    /// as one layer would, at a fraction of the operations. A dense model has no all-to-all to
    /// hide, and its runs stay merged (one by one, a DualPipe Llama 3 70B step took 8x the
    /// operations).
    func blocks(_ layers: Range<Int>, perLayer: Bool) -> [(Int, Int32)] {
        if perLayer { return layers.map { ($0, 1) } }
        var out: [(Int, Int32)] = []
        for l in layers {
            if let last = out.last, (last.0 >= moeStart) == (l >= moeStart), recomputes(last.0) == recomputes(l),
               !(pairsLayers && l < moeStart && moeStart < e.model.layers) {
                out[out.count - 1].1 += 1
            } else {
                out.append((l, 1))
            }
        }
        return out
    }

    /// Whether full recompute reruns layer l's forward before its backward.
    func recomputes(_ l: Int) -> Bool { recompute == .full && (recomputeLimit == nil || layout.recomputes(l, limit: recomputeLimit)) }

    /// The steps of one pass of virtual stage `vs`. `gather`: its forward waits for each layer's
    /// parameter gather; `reduces`: its backward reduces gradients as layers finish.
    mutating func steps(_ pass: PipelineOrder.Pass, vs: Int, gather: Bool, reduces: Bool) -> [PassStep] {
        var s: [PassStep] = []
        let layers = self.layers(ofVirtualStage: vs)
        s.reserveCapacity(24 * layers.count + 16)
        let first = order.isFirst(vs), last = order.isLast(vs)
        let zero3 = e.parallelism.zero3EveryMicroBatch
        let marks = zero3 || reduces
        block = 1
        switch pass {
        case .forward:
            // The embedding and the output layer are gathered as the layers are (with FSDP they
            // belong to the root unit, kept gathered from its forward to its backward, so they
            // are gathered once per forward and not again in the backward).
            let gathers = zero3 || gather
            let prefetch = (zero3 && fw.zero3Prefetch) || gather
            if first && gathers { s.append(.gatherIssue(layer: embeddingLayerID)) }
            if gathers, let l = layers.first { s.append(.gatherIssue(layer: Int32(l))) }
            if first {
                if gathers { s.append(.gatherWait(layer: embeddingLayerID)) }
                s.append(.compute(seconds: embedding.forward, layer: embeddingLayerID, layers: 1, name: name(.embeddingF)))
            }
            for (l, k) in blocks(layers, perLayer: gathers) {
                block = k
                if gathers {
                    if prefetch, l + 1 < layers.upperBound { s.append(.gatherIssue(layer: Int32(l + 1))) }
                    if prefetch, last, l + 1 == layers.upperBound { s.append(.gatherIssue(layer: outputLayerID)) }
                    if zero3 && !fw.zero3Prefetch && !gather { s.append(.gatherIssue(layer: Int32(l))) }
                    s.append(.gatherWait(layer: Int32(l)))
                }
                forwardLayer(l, into: &s, recomputing: false)
            }
            block = 1
            if last {
                if gathers {
                    if !prefetch || layers.isEmpty { s.append(.gatherIssue(layer: outputLayerID)) }
                    s.append(.gatherWait(layer: outputLayerID))
                }
                outputForward(into: &s)
            }
        case .backward, .backwardInput:
            let full = pass == .backward
            if last {
                outputBackward(into: &s, weights: full)
                if full && marks { s.append(.gradReady(layer: outputLayerID)) }
            }
            if zero3, let l = layers.last { s.append(.gatherIssue(layer: Int32(l))) }
            for (l0, k) in blocks(layers, perLayer: marks).reversed() {
                block = k
                let l = l0 + Int(k) - 1
                if zero3 {
                    if fw.zero3Prefetch, l - 1 >= layers.lowerBound { s.append(.gatherIssue(layer: Int32(l - 1))) }
                    if !fw.zero3Prefetch, l != layers.last { s.append(.gatherIssue(layer: Int32(l))) }
                    s.append(.gatherWait(layer: Int32(l)))
                }
                if recomputes(l0) { forwardLayer(l0, into: &s, recomputing: true) }
                backwardLayer(l0, into: &s, weights: full)
                if full && marks { s.append(.gradReady(layer: Int32(l))) }
            }
            block = 1
            if first {
                s.append(.compute(seconds: embedding.backward, layer: embeddingLayerID, layers: 1, name: name(.embeddingB)))
                if full && marks { s.append(.gradReady(layer: embeddingLayerID)) }
            }
        case .weight:
            if last {
                let mtp = Double(e.model.mtpLayers)
                let layer = moeStart < e.model.layers ? moe.total : dense.total
                s.append(.compute(seconds: output.gemm * (1 + mtp) + mtp * layer.gemm, layer: outputLayerID, layers: 1, name: name(.outputW)))
                if marks { s.append(.gradReady(layer: outputLayerID)) }
            }
            for (l0, k) in blocks(layers, perLayer: marks).reversed() {
                block = k
                let p = pieces(layer: l0)
                if sp { s.append(tpComm(tpAG, .tpAllGatherInputWgrad, l0, .now)) }
                s.append(.compute(seconds: p.total.gemm, layer: Int32(l0), layers: block, name: name(.weights)))
                if marks { s.append(.gradReady(layer: Int32(l0 + Int(k) - 1))) }
            }
            block = 1
            if first && marks { s.append(.gradReady(layer: embeddingLayerID)) }
        }
        return merged(s)
    }

    /// Adjacent compute steps become one operation (nothing is issued between them); in a plan with
    /// overlapped pairs only within a layer, where the other pass of a pair takes its turn
    /// (`pairsLayers`; a pass's steps are built once for paired and unpaired runs alike).
    mutating func merged(_ s: [PassStep]) -> [PassStep] {
        var out: [PassStep] = []
        out.reserveCapacity(s.count)
        for step in s {
            if case let .compute(t, l, _, _) = step, let prev = out.last, case let .compute(t0, l0, k0, n0) = prev,
               !pairsLayers || l == l0 {
                let name = mergedName(n0)
                out[out.count - 1] = .compute(seconds: t0 + t, layer: l0, layers: k0, name: name)
            } else {
                out.append(step)
            }
        }
        return out
    }

    /// The gather or scatter of the routed tokens over TP when experts are split over it: on the
    /// dispatcher's stream, after its all-to-all (the tokens it gathers are those the all-to-all
    /// brought) and before the combine; counted as TP communication.
    mutating func routedComm(_ r: Int32, _ n: OpName, _ l: Int) -> PassStep {
        .comm(request: r, seconds: seconds(r, scale: Double(block)), stream: .ep, category: .tp, smShare: 0, layer: Int32(l), layers: block,
              name: name(n), wait: .now)
    }

    mutating func cpComm(_ r: Int32, _ n: OpName, _ l: Int, _ wait: PassStep.Wait) -> PassStep {
        .comm(request: r, seconds: seconds(r, scale: Double(block)), stream: .cp, category: .cp, smShare: 0, layer: Int32(l), layers: block,
              name: name(n), wait: wait)
    }

    mutating func tpComm(_ r: Int32, _ n: OpName, _ l: Int, _ wait: PassStep.Wait, sm: Double = 0) -> PassStep {
        .comm(request: r, seconds: seconds(r, scale: Double(block)), stream: .tp, category: .tp, smShare: sm, layer: Int32(l), layers: block,
              name: name(n), wait: wait)
    }

    /// Compute and its TP collective overlapped in chunks (Transformer Engine userbuffers, Ascend
    /// MC2): an all-gather chunk runs under the previous chunk's GEMM, a reduce-scatter chunk under
    /// the next one; the collective takes the stack's SM share from the GEMM beside it.
    mutating func pipelined(gatherFirst: Bool, seconds t: Double, _ l: Int, _ op: OpName, into s: inout [PassStep]) {
        let n = max(1, fw.tpOverlapSplits)
        let nid = name(op)
        let cname: OpName = gatherFirst ? .tpAllGatherChunk : .tpReduceScatterChunk
        let r = gatherFirst ? tpAGChunk : tpRSChunk
        let share = fw.overlapSMShare
        if gatherFirst {
            s.append(tpComm(r, cname, l, .now, sm: share))
            for i in 0..<n {
                if i + 1 < n { s.append(tpComm(r, cname, l, .later, sm: share)) }
                s.append(.compute(seconds: t / Double(n), layer: Int32(l), layers: block, name: nid))
                s.append(.join)
            }
        } else {
            for _ in 0..<n {
                s.append(.compute(seconds: t / Double(n), layer: Int32(l), layers: block, name: nid))
                s.append(tpComm(r, cname, l, .later, sm: share))
            }
            s.append(.join)
        }
    }

    /// Column-parallel piece forward: TP all-gather of its input (sequence parallel) then the GEMMs.
    /// `fused: false` for an MoE layer's router and experts: their TP gather and scatter are the
    /// token dispatcher's own collectives, which neither Transformer Engine's userbuffers nor Ascend
    /// MC2 fuse with a GEMM (megatron-core 0.16 megatron/core/transformer/moe/token_dispatcher.py:
    /// the dispatchers call gather_from_sequence_parallel_region and
    /// reduce_scatter_to_sequence_parallel_region themselves; MindSpeed docs/zh/features/mc2.md:
    /// MC2 is not for MoE).
    mutating func columnForward(_ t: LayerTime, _ l: Int, _ op: OpName, fused: Bool = true, into s: inout [PassStep]) {
        if sp && fused && fw.tpCommOverlap {
            pipelined(gatherFirst: true, seconds: t.forward, l, op, into: &s)
            return
        }
        if sp { s.append(tpComm(tpAG, .tpAllGather, l, .now)) }
        s.append(.compute(seconds: t.forward, layer: Int32(l), layers: block, name: name(op)))
    }

    /// Row-parallel piece forward: the GEMMs, then the TP reduce-scatter (SP) or all-reduce.
    mutating func rowForward(_ t: LayerTime, _ l: Int, _ op: OpName, fused: Bool = true, into s: inout [PassStep]) {
        if tp > 1 && sp && fused && fw.tpCommOverlap {
            pipelined(gatherFirst: false, seconds: t.forward, l, op, into: &s)
            return
        }
        s.append(.compute(seconds: t.forward, layer: Int32(l), layers: block, name: name(op)))
        if tp > 1 { s.append(tpComm(sp ? tpRS : tpAR, sp ? .tpReduceScatter : .tpAllReduce, l, .now)) }
    }

    /// The attention core, split into context-parallel ring steps when CP > 1, or between the two
    /// Ulysses all-to-alls (Q, K, V in and the output back; in backward the output's gradient in and
    /// those of Q, K and V back), which the kernel waits for, or after the all-gather of K and V.
    mutating func core(_ seconds: Double, _ l: Int, backward: Bool, into s: inout [PassStep]) {
        let nid = name(backward ? .attentionB : .attentionF)
        guard cp > 1 else { s.append(.compute(seconds: seconds, layer: Int32(l), layers: block, name: nid)); return }
        if ulysses {
            let (first, second) = backward ? (cpBwd, cpFwd) : (cpFwd, cpBwd)
            let names: (OpName, OpName) = backward ? (.cpGradOIn, .cpGradQKVBack) : (.cpQKVIn, .cpOBack)
            for (r, n, isFirst) in [(first, names.0, true), (second, names.1, false)] {
                if !isFirst { s.append(.compute(seconds: seconds, layer: Int32(l), layers: block, name: nid)) }
                s.append(cpComm(r, n, l, .now))
            }
            return
        }
        if allGatherCP {
            // K and V gathered before the kernel (again in the backward: only this rank's block is
            // kept), their gradients reduce-scattered after it; the kernel and the layer's next
            // compute wait for each.
            s.append(cpComm(cpFwd, .cpKVGather, l, .now))
            s.append(.compute(seconds: seconds, layer: Int32(l), layers: block, name: nid))
            if backward { s.append(cpComm(cpBwd, .cpKVGradScatter, l, .now)) }
            return
        }
        let r = backward ? cpBwd : cpFwd
        let cname: OpName = backward ? .cpRingGrad : .cpRing
        for i in 0..<cp {
            if i + 1 < cp { s.append(cpComm(r, cname, l, .later)) }
            s.append(.compute(seconds: seconds / Double(cp), layer: Int32(l), layers: block, name: nid))
            s.append(.join)
        }
    }

    mutating func epComm(_ r: Int32, _ n: OpName, _ l: Int, into s: inout [PassStep]) {
        s.append(.comm(request: r, seconds: seconds(r, scale: imbalance * Double(block)), stream: .ep, category: .ep,
                       smShare: device.overlapSMFraction, layer: Int32(l), layers: block, name: name(n), wait: .now))
    }

    /// One layer's forward (or its recomputation before the backward, which repeats its collectives).
    mutating func forwardLayer(_ l: Int, into s: inout [PassStep], recomputing: Bool) {
        let p = pieces(layer: l)
        let r = recomputing
        columnForward(p.qkv, l, OpName.qkvF.recomputed(r), into: &s)
        core(p.core.forward, l, backward: false, into: &s)
        rowForward(p.proj, l, OpName.attentionProjF.recomputed(r), into: &s)
        if p.moe {
            if moeHiddenTP {
                columnForward(p.up, l, OpName.routerF.recomputed(r), fused: false, into: &s)
            } else {
                s.append(.compute(seconds: p.up.forward, layer: Int32(l), layers: block, name: name(OpName.routerF.recomputed(r))))
            }
            if ep > 1 { epComm(epDispatch, .epDispatch, l, into: &s) }
            if moeRoutedTP { s.append(routedComm(tpAGRouted, .tpAllGatherRouted, l)) }
            s.append(.compute(seconds: p.down.forward, layer: Int32(l), layers: block, name: name(OpName.expertsF.recomputed(r))))
            if moeRoutedTP { s.append(routedComm(tpRSRouted, .tpReduceScatterRouted, l)) }
            if ep > 1 { epComm(epCombine, .epCombine, l, into: &s) }
            if moeHiddenTP {
                rowForward(p.unpermute, l, OpName.unpermuteF.recomputed(r), fused: false, into: &s)
            } else {
                s.append(.compute(seconds: p.unpermute.forward, layer: Int32(l), layers: block, name: name(OpName.unpermuteF.recomputed(r))))
            }
        } else {
            columnForward(p.up, l, OpName.mlpUpF.recomputed(r), into: &s)
            rowForward(p.down, l, OpName.mlpDownF.recomputed(r), into: &s)
        }
    }

    /// Backward of a row-parallel piece: the all-gather of its output gradient (SP) first.
    mutating func rowBackward(_ t: LayerTime, _ l: Int, _ op: OpName, weights: Bool, fused: Bool = true, into s: inout [PassStep]) {
        let secs = weights ? t.backward : t.backward - t.gemm
        if sp && fused && fw.tpCommOverlap {
            pipelined(gatherFirst: true, seconds: secs, l, op, into: &s)
            return
        }
        if sp { s.append(tpComm(tpAG, .tpAllGatherGrad, l, .now)) }
        s.append(.compute(seconds: secs, layer: Int32(l), layers: block, name: name(op)))
    }

    /// Backward of a column-parallel piece: dgrad, then the TP reduce-scatter (SP) or all-reduce of
    /// the input gradient; with Megatron's asynchronous TP communication the input re-gather runs
    /// under dgrad and the reduction under wgrad (`LinearWithGradAccumulationAndAsyncCommunication`).
    mutating func columnBackward(_ t: LayerTime, _ l: Int, _ op: OpName, weights: Bool, fused: Bool = true, into s: inout [PassStep]) {
        let col = t.columnGemm, rest = t.backward - 2 * col - (weights ? 0 : t.gemm - col)
        let nid = name(op)
        guard tp > 1 else {
            s.append(.compute(seconds: weights ? t.backward : t.backward - t.gemm, layer: Int32(l), layers: block, name: nid))
            return
        }
        let red = sp ? tpRS : tpAR
        let redName: OpName = sp ? .tpReduceScatterGrad : .tpAllReduceGrad
        s.append(.compute(seconds: rest, layer: Int32(l), layers: block, name: nid))
        let overlap = fused && fw.tpCommOverlap
        let async = fw.tpAsyncBackward || overlap
        if !weights {
            // Input-gradient pass only (zero bubble): the reduction follows dgrad.
            s.append(.compute(seconds: col, layer: Int32(l), layers: block, name: nid))
            s.append(tpComm(red, redName, l, .now))
            return
        }
        if async {
            if sp { s.append(tpComm(tpAG, .tpAllGatherInput, l, .later)) }
            s.append(.compute(seconds: col, layer: Int32(l), layers: block, name: nid))
            s.append(.join)
            s.append(tpComm(red, redName, l, .later, sm: overlap ? fw.overlapSMShare : 0))
            s.append(.compute(seconds: col, layer: Int32(l), layers: block, name: name(op.wgrad)))
            s.append(.join)
        } else {
            if sp { s.append(tpComm(tpAG, .tpAllGatherInput, l, .now)) }
            s.append(.compute(seconds: col, layer: Int32(l), layers: block, name: nid))
            s.append(tpComm(red, redName, l, .now))
            s.append(.compute(seconds: col, layer: Int32(l), layers: block, name: name(op.wgrad)))
        }
    }

    /// One layer's backward; `weights: false` leaves the weight gradients to a later W pass.
    mutating func backwardLayer(_ l: Int, into s: inout [PassStep], weights: Bool) {
        let p = pieces(layer: l)
        if p.moe {
            if moeHiddenTP {
                rowBackward(p.unpermute, l, .unpermuteB, weights: weights, fused: false, into: &s)
            } else {
                let u = weights ? p.unpermute.backward : p.unpermute.backward - p.unpermute.gemm
                s.append(.compute(seconds: u, layer: Int32(l), layers: block, name: name(.unpermuteB)))
            }
            if ep > 1 { epComm(epCombineGrad, .epCombineGrad, l, into: &s) }
            if moeRoutedTP { s.append(routedComm(tpAGRouted, .tpAllGatherRoutedGrad, l)) }
            let d = weights ? p.down.backward : p.down.backward - p.down.gemm
            s.append(.compute(seconds: d, layer: Int32(l), layers: block, name: name(.expertsB)))
            if moeRoutedTP { s.append(routedComm(tpRSRouted, .tpReduceScatterRoutedGrad, l)) }
            if ep > 1 { epComm(epCombine, .epDispatchGrad, l, into: &s) }
            if moeHiddenTP {
                columnBackward(p.up, l, .routerB, weights: weights, fused: false, into: &s)
            } else {
                let r = weights ? p.up.backward : p.up.backward - p.up.gemm
                s.append(.compute(seconds: r, layer: Int32(l), layers: block, name: name(.routerB)))
            }
        } else {
            rowBackward(p.down, l, .mlpDownB, weights: weights, into: &s)
            columnBackward(p.up, l, .mlpUpB, weights: weights, into: &s)
        }
        rowBackward(p.proj, l, .attentionProjB, weights: weights, into: &s)
        // Selective recompute reruns the attention core inside its backward.
        let coreB = p.core.backward + (recompute == .selective ? p.core.forward : 0)
        core(coreB, l, backward: true, into: &s)
        columnBackward(p.qkv, l, .qkvB, weights: weights, into: &s)
    }

    /// The output layer and loss, and multi-token-prediction modules, on the last stage.
    mutating func outputForward(into s: inout [PassStep]) {
        let mtp = Double(e.model.mtpLayers)
        let layer = moeStart < e.model.layers ? moe.total : dense.total
        let t = output.forward + mtp * (layer.forward + output.forward)
        s.append(.compute(seconds: t, layer: outputLayerID, layers: block, name: name(.outputF)))
    }

    mutating func outputBackward(into s: inout [PassStep], weights: Bool) {
        let mtp = Double(e.model.mtpLayers)
        let layer = moeStart < e.model.layers ? moe.total : dense.total
        let extra = recompute == .full ? layer.forward : (recompute == .selective ? layer.attention : 0)
        var t = output.backward + mtp * (layer.backward + extra + output.backward)
        if !weights { t -= output.gemm * (1 + mtp) + mtp * layer.gemm }
        s.append(.compute(seconds: t, layer: outputLayerID, layers: block, name: name(.outputB)))
    }
}
