/// Data-parallel synchronisation of a step as the stack runs it (Megatron-LM
/// `distributed_data_parallel.py` and `param_and_grad_buffer.py`; PyTorch FSDP; DeepSpeed ZeRO):
/// gradients reduced per bucket, in reverse layer order, as each bucket's last gradient is ready
/// in the last micro-batch's backward (`overlapGradReduce`) or after the rank's last backward;
/// parameters gathered per layer under the first forward (`overlapParamGather`), under every
/// forward (`gatherEveryForward`, FSDP's SHARD_GRAD_OP) or after the optimizer; ZeRO-3 gathers
/// every layer before each forward and backward and reduce-scatters it after each backward, or
/// under pipelining once per step (`zero3GathersOnce`: gathered
/// under each chunk's first forward, one reduce-scatter per chunk after its last backward, as
/// PyTorch's pipeline schedules run FSDP). Bucketing applies on pipeline rank 0's first chunk; every other chunk
/// is one bucket reduced after its last backward, as Megatron does. Under Megatron's interleaved
/// schedule the stack may align both per chunk across the pipeline ranks (`alignGradReduce`,
/// `alignParamGather`: `StepGraphBuilder.build` places them).
struct DataParallelPlan {
    struct Bucket { var layers: [Int32]; var dense: Double; var expert: Double }
    /// Buckets per virtual stage, in the order they become ready.
    var buckets: [[Bucket]] = []
    /// Per virtual stage, the bucket of each layer id (the layers, then the output layer and the
    /// embedding: `StepGraphBuilder.outputLayerID`, `embeddingLayerID`); -1 where it has none.
    var bucketOf: [[Int]] = []
    /// Parameters per layer id (as `bucketOf`) on one device.
    var denseParams: [Double] = [], expertParams: [Double] = []
    let overlapGradReduce: Bool, overlapParamGather: Bool, everyMicroBatch: Bool
    /// ZeRO-2 resharding after each backward (`zero2ReshardAfterBackward`, FSDP's SHARD_GRAD_OP):
    /// every micro-batch's forward gathers the parameters, and none are gathered after the optimizer.
    let gatherEveryForward: Bool
    let zero: Int
    let gradBytes: Double
    /// Bytes per parameter gathered (bf16, or fp8 with `fp8Params`).
    let paramBytes: Double
    let denseGroup: CommGroup, expertGroup: CommGroup
    /// With hybrid sharding (`zeroShardGroup`): each group's shard part (where gradients are
    /// reduce-scattered and parameters gathered) and its replica part (where each shard's
    /// gradients are then all-reduced; empty without hybrid sharding).
    let denseShard: CommGroup, denseReplica: CommGroup, expertShard: CommGroup, expertReplica: CommGroup
    /// ZeRO-1/2's gradients all-reduced over every data-parallel rank (`zeroGradReduce`), and its
    /// parameters broadcast shard by shard (`zeroParamSync`), as InternEvo does.
    let gradAllReduce: Bool, paramBroadcast: Bool
    /// Parameters per pipeline stage (the model's, spread over the stages), for how many of a
    /// shard group's broadcasts carry one layer.
    let stageParams: Double

    init(_ b: StepGraphBuilder) {
        let e = b.e, par = e.parallelism, m = e.model, fw = b.fw
        zero = par.zero
        gradBytes = fw.gradReduceBytes
        paramBytes = fw.parameterBytes(e.training.precision)
        denseGroup = b.place.dpGroup
        expertGroup = b.place.expertDPGroup
        let split = par.zero >= 1 ? b.place.shardGroups : nil
        (denseShard, denseReplica) = split?.dense ?? (denseGroup, CommGroup([]))
        (expertShard, expertReplica) = split?.expert ?? (expertGroup, CommGroup([]))
        let sync = denseGroup.size > 1 || expertGroup.size > 1
        // ZeRO-3 under pipelining: each chunk's gradients reduce-scattered as its last backward
        // finishes, its parameters gathered under its first forward (`zero3GathersOnce`).
        overlapGradReduce = fw.overlapGradReduce || par.zero3GathersOnce
        gradAllReduce = fw.zeroGradReduce == "allreduce" && par.zero <= 2
        paramBroadcast = fw.zeroParamSync == "broadcast" && par.zero <= 2
        overlapParamGather = (fw.overlapParamGather && (1...2).contains(par.zero) || par.zero3GathersOnce) && sync
        // Under pipelining, gradients are reduced once, after the last micro-batch: PyTorch's
        // pipeline schedules turn FSDP's gradient sync off for all but the last backward
        // (torch/distributed/pipelining/stage.py, backward_maybe_with_nosync), DeepSpeed's
        // pipeline engine reduces after the schedule, Megatron after its last micro-batch.
        everyMicroBatch = (fw.gradReduceEveryMicroBatch || par.zero >= 2) && par.pp == 1
        gatherEveryForward = fw.zero2ReshardAfterBackward && par.zero == 2 && par.pp == 1 && sync
        let params = ParameterCount(m)
        let t = Double(par.tp)
        let (denseLayer, moeDense, moeExpert) = params.perDevice(tp: par.tp, ep: par.ep, etp: par.etp)
        denseParams = [Double](repeating: 0, count: m.layers + 2)
        expertParams = [Double](repeating: 0, count: m.layers + 2)
        for l in 0..<m.layers {
            let isMoE = m.moe != nil && l >= b.moeStart
            denseParams[l] = isMoE ? moeDense : denseLayer
            expertParams[l] = isMoE ? moeExpert : 0
        }
        // The last stage's own copy of a tied embedding reduces its gradients like any layer.
        denseParams[Int(b.outputLayerID)] = (e.copiesTiedEmbedding ? params.embedding : params.outputLayer) / t
        denseParams[Int(b.embeddingLayerID)] = params.embedding / t
        stageParams = (denseParams.reduce(0, +) + expertParams.reduce(0, +)) / Double(par.pp)
        // Megatron-Core sizes its buckets by the data-parallel group: max(40M, 1M x DP x CP)
        // parameters (distributed_data_parallel.py L133-137), both terms in the stack file.
        let bucketSize = fw.bucketParameters > 0 ? max(fw.bucketParameters, fw.bucketParametersPerRank * Double(par.dp * par.cp)) : 0
        let order = b.order
        let totalVS = order.virtualStages * (order.schedule == .dualpipe ? 2 : 1)
        buckets.reserveCapacity(totalVS)
        bucketOf.reserveCapacity(totalVS)
        for vs in 0..<totalVS {
            // Reverse layer order: the output side's gradients are ready first.
            var ids: [Int32] = []
            if order.isLast(vs) { ids.append(b.outputLayerID) }
            ids += b.layers(ofVirtualStage: vs).reversed().map(Int32.init)
            if order.isFirst(vs) { ids.append(b.embeddingLayerID) }
            let bucketed = fw.overlapGradReduce && bucketSize > 0 && vs == 0 && !par.zero3GathersOnce
            var list: [Bucket] = [], cur = Bucket(layers: [], dense: 0, expert: 0)
            var of = [Int](repeating: -1, count: denseParams.count)
            for id in ids {
                cur.layers.append(id); cur.dense += denseParams[Int(id)]; cur.expert += expertParams[Int(id)]
                of[Int(id)] = list.count
                if bucketed && cur.dense + cur.expert >= bucketSize { list.append(cur); cur = Bucket(layers: [], dense: 0, expert: 0) }
            }
            if !cur.layers.isEmpty { list.append(cur) }
            buckets.append(list)
            bucketOf.append(of)
        }
    }

    /// Reducing `n` gradients: an all-reduce over the whole group without ZeRO; with it a
    /// reduce-scatter over the shard group, then, with hybrid sharding, an all-reduce of this
    /// rank's shard across the replicas (Megatron-Core with several distributed-optimizer
    /// instances, PyTorch HSDP).
    private func reduceRequests(_ n: Double, _ shard: CommGroup, _ replica: CommGroup, whole: CommGroup) -> [CollectiveRequest] {
        if zero == 0 { return shard.size > 1 ? [CollectiveRequest(kind: .allReduce, bytes: n * gradBytes, group: shard, label: "dp")] : [] }
        if gradAllReduce {
            return whole.size > 1 ? [CollectiveRequest(kind: .allReduce, bytes: n * gradBytes, group: whole, label: "dp")] : []
        }
        var out: [CollectiveRequest] = []
        if shard.size > 1 { out.append(CollectiveRequest(kind: .reduceScatter, bytes: n * gradBytes, group: shard, label: "dp")) }
        if replica.size > 1 {
            out.append(CollectiveRequest(kind: .allReduce, bytes: n * gradBytes / Double(shard.size), group: replica, label: "dp"))
        }
        return out
    }

    /// Each kind of parameter (dense, expert) with its shard and replica groups.
    private func groups(dense: Double, expert: Double) -> [(Double, CommGroup, CommGroup, CommGroup)] {
        [(dense, denseShard, denseReplica, denseGroup), (expert, expertShard, expertReplica, expertGroup)]
    }

    /// The parameter collectives of one layer's `n` parameters over the shard group: one
    /// all-gather, or (`paramBroadcast`) the broadcasts of the shards that hold them: each of the
    /// group's ranks broadcasts its shard of the stage, so a layer takes its share of them.
    private func gatherRequests(_ n: Double, _ shard: CommGroup) -> [CollectiveRequest] {
        guard shard.size > 1 else { return [] }
        guard paramBroadcast else { return [CollectiveRequest(kind: .allGather, bytes: n * paramBytes, group: shard, label: "dp")] }
        let k = max(1, (Double(shard.size) * n / max(stageParams, 1)).rounded())
        return [CollectiveRequest](repeating: CollectiveRequest(kind: .broadcast, bytes: n / k * paramBytes, group: shard, label: "dp"), count: Int(k))
    }

    /// Reduces one bucket's gradients (key: virtual stage x 1024 + bucket) after `after`; with
    /// hybrid sharding each shard's all-reduce across the replicas follows its reduce-scatter on
    /// the replica stream. Returns the last operation added (-1: none).
    @discardableResult
    func reduce(bucket key: Int, rank r: Int, after: Int32, microBatch: Int = -1, into me: inout StepGraphBuilder) -> Int32 {
        let b = buckets[key / 1024][key % 1024]
        var last: Int32 = -1
        for (n, shard, replica, whole) in groups(dense: b.dense, expert: b.expert) where n > 0 {
            var scattered: Int32 = -1
            for r0 in reduceRequests(n, shard, replica, whole: whole) {
                let name = me.name(r0.kind == .reduceScatter ? .dpReduceScatterBucket
                                   : acrossReplicas(r0) ? .dpAllReduceShardAcrossReplicas : .dpAllReduceBucket)
                let req = me.request(r0)
                last = addReduction(req, work: me.seconds(req), rank: r, after: after, scattered: &scattered, layer: Int(b.layers.last ?? -1),
                                    microBatch: microBatch, virtualStage: key / 1024, name: name, into: &me)
            }
        }
        return last
    }

    /// Whether a collective of `reduceRequests` is a shard's all-reduce across the replicas (hybrid
    /// sharding): the only all-reduce it issues where the states are sharded and the gradients
    /// are not all-reduced whole.
    private func acrossReplicas(_ r: CollectiveRequest) -> Bool { r.kind == .allReduce && zero > 0 && !gradAllReduce }

    /// Adds one collective of `reduceRequests` after `after`: a shard's all-reduce across the
    /// replicas goes on the replica stream after its reduce-scatter (`scattered`, the last one
    /// added), the others on the reduce stream.
    private func addReduction(_ req: Int32, work: Double, rank r: Int, after: Int32, scattered: inout Int32, layer: Int, microBatch: Int,
                              virtualStage: Int = -1, name: UInt16, into me: inout StepGraphBuilder) -> Int32 {
        let r0 = me.g.requests[Int(req)], replica = acrossReplicas(r0)
        let id = me.g.add(stage: r, stream: replica ? .dpReplica : .dpReduce, category: .dp, work: work, request: req,
                          deps: [replica && scattered >= 0 ? scattered : after], layer: layer, microBatch: microBatch,
                          virtualStage: virtualStage, name: name)
        if r0.kind == .reduceScatter { scattered = id }
        return id
    }

    /// A layer's collectives of one kind (its dense and its expert parameters), registered once
    /// per step graph and kept by layer id, so building a ZeRO-3 step does not hash a request per
    /// operation: (request, seconds alone with the launch overhead).
    struct LayerCollectives { var ops: [(request: Int32, seconds: Double)] }

    /// ZeRO-3 unit reduce-scatters (`gather: false`) or parameter all-gathers of layer `l`.
    func layerCollectives(_ l: Int, gather: Bool, into me: inout StepGraphBuilder) -> [(request: Int32, seconds: Double)] {
        let slot = l * 2 + (gather ? 1 : 0)
        if slot < me.dpLayerOps.count, let hit = me.dpLayerOps[slot] { return hit }
        // The collectives depend only on the layer's parameter counts (the groups are the plan's),
        // so a layer like one costed before reuses its requests, registered in the same order.
        let shape = StepGraphBuilder.DPLayerShape(dense: denseParams[l], expert: expertParams[l], gather: gather)
        var out: [(request: Int32, seconds: Double)] = []
        if let same = me.dpLayerOpsByShape[shape] {
            out = same
        } else {
            for (n, shard, replica, whole) in groups(dense: denseParams[l], expert: expertParams[l]) where n > 0 {
                let requests = gather ? gatherRequests(n, shard) : reduceRequests(n, shard, replica, whole: whole)
                for r0 in requests {
                    let req = me.request(r0)
                    out.append((req, me.seconds(req)))
                }
            }
            me.dpLayerOpsByShape[shape] = out
        }
        if slot >= me.dpLayerOps.count { me.dpLayerOps += [[(request: Int32, seconds: Double)]?](repeating: nil, count: slot + 1 - me.dpLayerOps.count) }
        me.dpLayerOps[slot] = out
        return out
    }

    /// ZeRO-3: reduce-scatters one layer's gradients; with hybrid sharding each shard's
    /// all-reduce across the replicas follows on the replica stream. Returns the last
    /// reduce-scatter (-1 if none): FSDP issues a unit's reduce-scatter only after the previous
    /// one is done, and does not wait for the replica all-reduce.
    func reduceLayer(_ l: Int, rank r: Int, after: Int32, microBatch: Int, into me: inout StepGraphBuilder) -> Int32 {
        var last: Int32 = -1, scattered: Int32 = -1
        let name = me.name(.dpReduceScatterUnit)
        for (req, work) in layerCollectives(l, gather: false, into: &me) {
            let isScatter = me.g.requests[Int(req)].kind == .reduceScatter
            let id = addReduction(req, work: work, rank: r, after: after, scattered: &scattered, layer: l, microBatch: microBatch,
                                  name: isScatter ? name : me.name(.dpAllReduceUnitShard), into: &me)
            if isScatter || last < 0 { last = id }
        }
        return last
    }

    /// Gathers one layer's parameters (bf16, or fp8) after `after`; returns the last operation (-1 if none).
    func gather(layer l: Int, rank r: Int, after: Int32, microBatch: Int, into me: inout StepGraphBuilder) -> Int32 {
        var last: Int32 = -1
        let name = paramBroadcast ? me.name(.dpBroadcastParamShard) : me.name(.dpAllGatherParams)
        for (req, work) in layerCollectives(l, gather: true, into: &me) {
            last = me.g.add(stage: r, stream: .dpGather, category: .dp, work: work, request: req,
                            deps: after >= 0 ? [after] : [], layer: l, microBatch: microBatch, name: name)
        }
        return last
    }

    /// With tied input and output embeddings and a pipeline, the first stage's embedding and the
    /// last stage's copy of it as the output layer sum their gradients: an all-reduce between the
    /// two ranks once both have finished their gradient reduction, which the grad-norm all-reduce
    /// then waits for (Megatron-LM megatron/core/distributed/finalize_model_grads.py
    /// `_allreduce_word_embedding_grads`, after `finish_grad_sync`).
    func tiedEmbeddingGrads(into me: inout StepGraphBuilder) {
        let m = me.e.model, pp = me.e.parallelism.pp
        guard me.e.copiesTiedEmbedding else { return }
        let ends = [0, pp - 1]
        let group = CommGroup([GroupDim(size: 2, stride: me.place.pp.stride * (pp - 1))])
        let bytes = Double(m.vocab) * Double(m.hidden) / Double(me.tp) * gradBytes
        let req = me.request(CollectiveRequest(kind: .allReduce, bytes: bytes, group: group, label: "pp"))
        var deps: [Int32] = []
        for r in ends { for s in [TaskGraph.Stream.compute, .dpReduce, .dpReplica] { deps.append(me.g.last(stage: r, stream: s)) } }
        // On the last stage, which the output layer makes the busiest (the one the report shows).
        me.g.add(stage: pp - 1, stream: .ppBackward, category: .pp, work: me.seconds(req), request: req, deps: deps,
                 name: me.name(.embeddingGradAllReduce))
    }

    /// The step's end: the gradient-norm all-reduce that every rank waits for (Megatron's
    /// `clip_grads`, a global synchronisation), the optimizer on each rank's shard, then the
    /// parameter all-gather when it is not overlapped with the next forward.
    func finishStep(into me: inout StepGraphBuilder) {
        let pp = me.e.parallelism.pp
        tiedEmbeddingGrads(into: &me)
        var deps: [Int32] = []
        for r in 0..<pp {
            for s in [TaskGraph.Stream.compute, .dpReduce, .dpReplica, .ppForward, .ppBackward, .dpGather] { deps.append(me.g.last(stage: r, stream: s)) }
        }
        var normWork = 0.0, normReq: Int32 = -1
        if denseGroup.size > 1 {
            normReq = me.request(CollectiveRequest(kind: .allReduce, bytes: 8, group: denseGroup, label: "dp"))
            normWork = me.seconds(normReq)
        }
        let norm = me.g.add(stage: 0, stream: .dpReduce, category: .dp, work: normWork, request: normReq, deps: deps,
                            name: me.name(.gradNormAllReduce))
        let order = me.order
        let totalVS = order.virtualStages * (order.schedule == .dualpipe ? 2 : 1)
        for r in 0..<pp {
            let opt = me.g.add(stage: r, stream: .compute, category: .optimizer, work: me.optimizerSeconds[r], deps: [norm],
                               name: me.name(.optimizerStep))
            if (1...2).contains(zero) && !overlapParamGather && !gatherEveryForward {
                for vs in 0..<totalVS where order.owner(vs) == r {
                    for bucket in buckets[vs] { for id in bucket.layers { _ = gather(layer: Int(id), rank: r, after: opt, microBatch: -1, into: &me) } }
                }
            }
            var ends: [Int32] = []
            for s in TaskGraph.Stream.allCases { ends.append(me.g.last(stage: r, stream: s)) }
            ends.append(norm)
            me.g.add(stage: r, stream: .compute, category: .compute, work: 0, deps: ends, name: me.name(.stepEnd))
        }
    }
}
