/// A short list of operations, emptied and refilled once per pass or compute: emptying keeps its
/// storage and writes nothing (an array's `removeAll(keepingCapacity:)` costs a call per use).
struct OpList {
    private var items: [Int32] = []
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }
    subscript(k: Int) -> Int32 { items[k] }
    mutating func append(_ x: Int32) {
        if count < items.count { items[count] = x } else { items.append(x) }
        count += 1
    }
    mutating func clear() { count = 0 }
}

/// Turns each rank's passes into operations of the task graph, in the order the rank issues
/// them, with the data-parallel synchronisation the stack runs around them.
extension StepGraphBuilder {
    /// Per pass being emitted: what its next compute waits for.
    struct Cursor {
        var steps: [PassStep]
        var index = 0
        /// The last operation of this pass that produced data (-2: none yet, the pass's input).
        var producer: Int32 = -2
        /// The pipeline transfer this pass's input comes from (key into `sends`; -1 none).
        var inputKey: Int = -1
        var waits = OpList()
        var pending = OpList()
        var microBatch: Int
        var virtualStage: Int
        var reduces: Bool
        var done: Bool { index >= steps.count }
    }

    /// Per rank while emitting.
    struct RankState {
        var carry = OpList()
        /// The last gather of each layer id (-1: none).
        var gathers: [Int32]
        var lastLayerReduce: Int32 = -1
        /// Per virtual stage and bucket, the layers whose gradients are still to come.
        var remaining: [[Int]]
        var flush: [Int] = []
        /// The rank's parameter gathers are issued whole, per chunk, before the forwards that
        /// wait for them (`alignParamGather`): a pass's own gather issues are skipped.
        var gathersIssuedAhead = false
    }

    func sendKey(backward: Bool, vs: Int, mb: Int) -> Int {
        ((backward ? 1 : 0) * order.virtualStages * (order.schedule == .dualpipe ? 2 : 1) + vs) * microBatches + mb
    }

    /// Builds the whole graph.
    mutating func build() -> TaskGraph {
        let pp = e.parallelism.pp
        let totalVS = order.virtualStages * (order.schedule == .dualpipe ? 2 : 1)
        var sends = [Int32](repeating: -1, count: 2 * totalVS * microBatches)
        var external: [(Int32, Int)] = []
        let dp = DataParallelPlan(self)
        let pair = e.pairsExpertPasses(ep: ep)
        // A pass's steps by kind (pass, virtual stage, whether it gathers or reduces), built once.
        var cache = [[PassStep]?](repeating: nil, count: 4 * totalVS * 2 * 2)
        // The two passes being emitted (two when overlapped as a pair), set up afresh for each pass
        // in place: their lists keep their storage, and no pass copies a cursor.
        var a = Cursor(steps: [], microBatch: 0, virtualStage: 0, reduces: false), b = a
        let sendActivations = name(.ppSendActivations), sendGradients = name(.ppSendGradients)
        // Pipeline sends the rank's next compute waits for: all of them under 1F1B (batch_isend_irecv
        // then a synchronize); under the interleaved schedule those of the warm-up and the cool-down,
        // unless the stack overlaps them too (Megatron --overlap-p2p-communication-warmup-flush).
        let blocksAll = order.schedule == .oneFOneB && fw.p2pBlocking
        let blocksEnds = order.schedule == .interleaved && !fw.p2pOverlapWarmupFlush
        // Megatron's interleaved schedule with align_grad_reduce: no bucket is reduced as its
        // gradients become ready; each chunk's whole reduction is launched after the backward
        // `pp_rank` virtual micro-batches after the chunk's last (schedules.py backward_step_helper),
        // and the chunks left at the end after the schedule.
        // (Megatron's interleaved schedule has two model chunks or more: with one, its first two
        // chunks' gathers could not be issued, and its non-interleaved schedule runs instead.)
        let interleavedChunks = order.schedule == .interleaved && e.parallelism.vpp > 1
        let aligned = interleavedChunks && fw.alignGradReduce && dp.overlapGradReduce && !e.parallelism.zero3GathersOnce
        // Megatron's interleaved schedule with align_param_gather: the parameter gathers of the
        // rank's first two chunks are launched at the schedule's start, those of chunk c + 1 before
        // the forward `pp_rank` virtual micro-batches ahead of chunk c's first (schedules.py
        // forward_step_helper_preprocess), each chunk's buckets at once; a layer's forward waits
        // for its own (the DDP forward pre-hook, finish_param_sync).
        let gathersAhead = interleavedChunks && fw.alignParamGather && dp.overlapParamGather && !e.parallelism.zero3GathersOnce
        for r in 0..<pp {
            let ops = order.ops(rank: r, pairSteadyState: pair)
            var lastGrad = [Int](repeating: -1, count: totalVS), firstForward = [Int](repeating: -1, count: totalVS)
            // The rank's warm-up (forwards before its first backward) and cool-down (backwards after its last forward).
            var warmUpEnd = ops.count, coolDownStart = 0
            for (k, op) in ops.enumerated() {
                if op.pass == .backward || op.pass == .weight { lastGrad[Int(op.virtualStage)] = k }
                if op.pass == .forward, firstForward[Int(op.virtualStage)] < 0 { firstForward[Int(op.virtualStage)] = k }
                if op.pass == .forward { coolDownStart = k + 1 } else if warmUpEnd == ops.count { warmUpEnd = k }
            }
            var st = RankState(gathers: [Int32](repeating: -1, count: dp.denseParams.count),
                               remaining: dp.buckets.map { $0.map { $0.layers.count } })
            // Aligned reductions: per op, the virtual stages whose gradients are reduced after it.
            var launchAfter: [Int: [Int]] = [:]
            if aligned {
                let backwards = ops.indices.filter { ops[$0].pass == .backward }
                for vs in 0..<totalVS where lastGrad[vs] >= 0 {
                    let target = (backwards.firstIndex(of: lastGrad[vs]) ?? backwards.count) + r
                    if target < backwards.count { launchAfter[backwards[target], default: []].append(vs) } else { launchAfter[-1, default: []].append(vs) }
                }
            }
            // Aligned gathers: per op, the virtual stages whose parameters are gathered before it.
            var gatherBefore: [Int: [Int]] = [:]
            if gathersAhead {
                st.gathersIssuedAhead = true
                let forwards = ops.indices.filter { ops[$0].pass == .forward }
                var chunks: [Int] = []
                for k in forwards where !chunks.contains(Int(ops[k].virtualStage)) { chunks.append(Int(ops[k].virtualStage)) }
                // Chunks 0 and 1 before the first forward; chunk c >= 2 before the forward pp_rank
                // ahead of chunk c - 1's first (at least pp ahead of it in any valid order, so never before the first).
                for (c, vs) in chunks.enumerated() {
                    let at = c < 2 ? 0 : max(forwards.firstIndex(of: firstForward[chunks[c - 1]])! - r, 0)
                    gatherBefore[forwards[at], default: []].append(vs)
                }
            }
            func gatherAhead(before k: Int, _ me: inout StepGraphBuilder) {
                for vs in gatherBefore[k] ?? [] {
                    var ids: [Int32] = me.order.isFirst(vs) ? [me.embeddingLayerID] : []
                    ids += me.layers(ofVirtualStage: vs).map(Int32.init)
                    if me.order.isLast(vs) { ids.append(me.outputLayerID) }
                    let after = me.g.last(stage: r, stream: .compute)
                    for id in ids { st.gathers[Int(id)] = dp.gather(layer: Int(id), rank: r, after: after, microBatch: -1, into: &me) }
                }
            }
            func launchAligned(after k: Int, _ me: inout StepGraphBuilder) {
                for vs in launchAfter[k] ?? [] {
                    for b in dp.buckets[vs].indices {
                        dp.reduce(bucket: vs * 1024 + b, rank: r, after: me.g.last(stage: r, stream: .compute), into: &me)
                    }
                }
            }
            func prepare(_ c: inout Cursor, _ k: Int, _ me: inout StepGraphBuilder) {
                let op = ops[k], vs = Int(op.virtualStage)
                let gather = op.pass == .forward && (dp.gatherEveryForward || dp.overlapParamGather && firstForward[vs] == k)
                let reduces = !aligned && (op.pass == .backward || op.pass == .weight) && (dp.everyMicroBatch || lastGrad[vs] == k)
                let key = (Int(op.pass.rawValue) * 2 * totalVS + vs * 2 + (gather ? 1 : 0)) * 2 + (reduces ? 1 : 0)
                if let hit = cache[key] { c.steps = hit } else { c.steps = me.steps(op.pass, vs: vs, gather: gather, reduces: reduces); cache[key] = c.steps }
                c.index = 0; c.producer = -2; c.inputKey = -1
                c.waits.clear(); c.pending.clear()
                c.microBatch = Int(op.microBatch); c.virtualStage = vs; c.reduces = reduces
                if op.pass == .forward, let prev = me.order.previous(vs) { c.inputKey = me.sendKey(backward: false, vs: prev, mb: c.microBatch) }
                if op.pass == .backward || op.pass == .backwardInput, let next = me.order.next(vs) {
                    c.inputKey = me.sendKey(backward: true, vs: next, mb: c.microBatch)
                }
            }
            func finish(_ c: inout Cursor, _ k: Int, _ me: inout StepGraphBuilder) {
                let op = ops[k], vs = Int(op.virtualStage), mb = Int(op.microBatch)
                guard me.ppSend >= 0 else { return }
                let blocking = blocksAll || (blocksEnds && (k < warmUpEnd || k >= coolDownStart))
                if op.pass == .forward, me.order.next(vs) != nil {
                    let id = me.g.add(stage: r, stream: .ppForward, category: .pp, work: me.seconds(me.ppSend), request: me.ppSend,
                                      deps: [], microBatch: mb, virtualStage: vs, name: sendActivations)
                    me.g.addDependency(c.producer)
                    sends[me.sendKey(backward: false, vs: vs, mb: mb)] = id
                    if blocking { st.carry.append(id) }
                } else if op.pass == .backward || op.pass == .backwardInput, me.order.previous(vs) != nil {
                    let id = me.g.add(stage: r, stream: .ppBackward, category: .pp, work: me.seconds(me.ppSend), request: me.ppSend,
                                      deps: [], microBatch: mb, virtualStage: vs, name: sendGradients)
                    me.g.addDependency(c.producer)
                    sends[me.sendKey(backward: true, vs: vs, mb: mb)] = id
                    if blocking { st.carry.append(id) }
                }
            }
            var k = 0
            while k < ops.count {
                if gathersAhead { gatherAhead(before: k, &self) }
                if ops[k].pairedWithNext, k + 1 < ops.count {
                    if gathersAhead { gatherAhead(before: k + 1, &self) }
                    prepare(&a, k, &self)
                    prepare(&b, k + 1, &self)
                    // The backward first: its combine (grad) runs beside the forward's attention
                    // (`pairsLayers`).
                    while !a.done || !b.done {
                        if !b.done { run(&b, rank: r, state: &st, dp: dp, external: &external, untilBlocked: true) }
                        if !a.done { run(&a, rank: r, state: &st, dp: dp, external: &external, untilBlocked: true) }
                    }
                    finish(&a, k, &self)
                    finish(&b, k + 1, &self)
                    if aligned { launchAligned(after: k, &self); launchAligned(after: k + 1, &self) }
                    k += 2
                } else {
                    prepare(&a, k, &self)
                    run(&a, rank: r, state: &st, dp: dp, external: &external, untilBlocked: false)
                    finish(&a, k, &self)
                    if aligned { launchAligned(after: k, &self) }
                    k += 1
                }
            }
            if aligned { launchAligned(after: -1, &self) }
            // Without overlap, gradients are reduced after the rank's last backward.
            for b in st.flush { dp.reduce(bucket: b, rank: r, after: g.last(stage: r, stream: .compute), into: &self) }
        }
        for (op, key) in external where sends[key] >= 0 { g.extraDependency(op, sends[key]) }
        dp.finishStep(into: &self)
        g.finalize()
        return g
    }

    /// Emits the steps of a pass; with `untilBlocked`, stops after a collective the pass must
    /// wait for, or before the compute of its next layer (so that the other pass of an overlapped
    /// pair computes meanwhile).
    mutating func run(_ c: inout Cursor, rank r: Int, state st: inout RankState, dp: DataParallelPlan,
                      external: inout [(Int32, Int)], untilBlocked: Bool) {
        var turnLayer: Int32 = -1
        while c.index < c.steps.count {
            let step = c.steps[c.index]
            c.index += 1
            switch step {
            case let .compute(seconds, layer, layers, name):
                if untilBlocked {
                    if turnLayer >= 0 && layer != turnLayer { c.index -= 1; return }
                    turnLayer = layer
                }
                let id = g.add(stage: r, stream: .compute, category: .compute, work: seconds, deps: [], layer: Int(layer),
                               layers: layers, microBatch: c.microBatch, virtualStage: c.virtualStage, name: name)
                for k in 0..<c.waits.count { g.addDependency(c.waits[k]) }
                for k in 0..<st.carry.count { g.addDependency(st.carry[k]) }
                if c.producer >= 0 { g.addDependency(c.producer) }
                if c.producer == -2 && c.inputKey >= 0 { external.append((id, c.inputKey)) }
                c.producer = id
                c.waits.clear()
                st.carry.clear()
            case let .comm(request, seconds, stream, category, smShare, layer, layers, name, wait):
                let id = g.add(stage: r, stream: stream, category: category, work: seconds, request: request, smShare: smShare,
                               deps: [], layer: Int(layer), layers: layers, microBatch: c.microBatch, virtualStage: c.virtualStage, name: name)
                if c.producer >= 0 { g.addDependency(c.producer) }
                if c.producer == -2 && c.inputKey >= 0 { external.append((id, c.inputKey)) }
                switch wait {
                case .now:
                    c.waits.append(id)
                    if untilBlocked { return }
                case .later: c.pending.append(id)
                case .never: break
                }
            case .join:
                for k in 0..<c.pending.count { c.waits.append(c.pending[k]) }
                c.pending.clear()
            case let .gatherIssue(layer):
                if st.gathersIssuedAhead { break }
                st.gathers[Int(layer)] = dp.gather(layer: Int(layer), rank: r, after: c.producer, microBatch: c.microBatch, into: &self)
            case let .gatherWait(layer):
                if st.gathers[Int(layer)] >= 0 { c.waits.append(st.gathers[Int(layer)]) }
            case let .gradReady(layer):
                if e.parallelism.zero3EveryMicroBatch {
                    // FSDP: one reduce-scatter per unit and micro-batch; the next is issued only
                    // after the previous one is done, so compute waits for it.
                    let id = dp.reduceLayer(Int(layer), rank: r, after: c.producer, microBatch: c.microBatch, into: &self)
                    if st.lastLayerReduce >= 0 { c.waits.append(st.lastLayerReduce) }
                    if id >= 0 { st.lastLayerReduce = id }
                } else if c.reduces, case let b = dp.bucketOf[c.virtualStage][Int(layer)], b >= 0 {
                    st.remaining[c.virtualStage][b] -= 1
                    if st.remaining[c.virtualStage][b] == 0 {
                        st.remaining[c.virtualStage][b] = dp.buckets[c.virtualStage][b].layers.count
                        if dp.overlapGradReduce {
                            dp.reduce(bucket: c.virtualStage * 1024 + b, rank: r, after: c.producer, microBatch: c.microBatch, into: &self)
                        } else if dp.everyMicroBatch {
                            // Reduced every micro-batch without overlap: each bucket as it fills, and the
                            // rank's next compute waits for it (DeepSpeed ZeRO-2 with overlap_comm off reduces
                            // on the compute stream: deepspeed/runtime/zero/stage_1_and_2.py reduce_ipg_grads).
                            let id = dp.reduce(bucket: c.virtualStage * 1024 + b, rank: r, after: c.producer, microBatch: c.microBatch, into: &self)
                            if id >= 0 { st.carry.append(id) }
                        } else if !st.flush.contains(c.virtualStage * 1024 + b) { st.flush.append(c.virtualStage * 1024 + b) }
                    }
                }
            }
        }
    }
}
