import Foundation

extension Experiment {
    /// The number of micro-batches each pipeline runs per step.
    public var microBatches: Int {
        training.globalBatchSequences / (parallelism.dp * training.microBatchSequences)
    }

    /// Whether the schedule pairs a forward with another micro-batch's backward so that each hides
    /// the other's expert all-to-alls (`moeAllToAllOverlap`, with `ep` ranks): the task graph's
    /// order, the memory it holds and the search's bounds all ask this.
    func pairsExpertPasses(ep: Int) -> Bool {
        training.framework.moeAllToAllOverlap && ep > 1 && model.moe != nil
    }

    /// Whether the last pipeline stage keeps its own copy of a tied embedding as its output layer
    /// (Megatron's shared word embeddings with pp > 1): the memory it holds, the gradients it
    /// reduces over DP and the all-reduce that syncs the copy with the first stage's all ask this.
    var copiesTiedEmbedding: Bool { model.tiedEmbeddings && parallelism.pp > 1 }

    /// Checks that the plan multiplies out and divides, filling in `dp` when it was left out.
    /// `clusterBuilt`: the caller has built the cluster from `cluster` already (that check is its).
    mutating func validatePlan(clusterBuilt: Bool = false) throws(TrainSimError) {
        // The stack decides the expert layout a plan leaves unsaid (a sweep or phase may change either).
        parallelism.expertsSplitByDefault = training.framework.expertTensorParallel
        var p = parallelism
        let devices = cluster.devices
        func fail(_ key: String, _ message: String) -> TrainSimError {
            TrainSimError(file: file, path: key, message)
        }
        if !clusterBuilt {
            do {
                _ = try Cluster(spec: cluster.topology, devices: devices)
            } catch {
                throw error.inFile(file ?? "experiment")
            }
        }
        let mp = p.tp * p.cp * p.pp
        if p.dp == 0 {
            guard devices % mp == 0 else {
                throw fail("parallelism", "tp x cp x pp = \(p.tp) x \(p.cp) x \(p.pp) = \(mp) does not divide cluster.devices (\(devices))")
            }
            p.dp = devices / mp
        } else if case let (product, overflow) = mp.multipliedReportingOverflow(by: p.dp), overflow || product != devices {
            // Each factor is bounded, but their product can pass Int.max: shown as a Double.
            let shown = JSONWriter.number(Double(mp) * Double(p.dp))
            throw fail("parallelism.dp", "tp x cp x pp x dp = \(p.tp) x \(p.cp) x \(p.pp) x \(p.dp) = \(shown), but cluster.devices is \(devices)")
        }
        if model.heads % p.tp != 0 { throw fail("parallelism.tp", "\(p.tp) does not divide the model's \(model.heads) attention heads") }
        if model.ffnHidden % p.tp != 0 { throw fail("parallelism.tp", "\(p.tp) does not divide model.ffnHidden (\(model.ffnHidden))") }
        if let moe = model.moe {
            if moe.experts % p.ep != 0 { throw fail("parallelism.ep", "\(p.ep) does not divide the model's \(moe.experts) experts") }
            // MoE layers get their own grid over the same ranks (Megatron-Core's parallel folding,
            // expert-TP 1): EP x expert-DP = TP x CP x DP, so EP needs only to fit that product.
            if p.etp != 1 && p.etp != p.tp {
                throw fail("parallelism.etp", "is \(p.etp); expert tensor parallelism is 1 (whole experts) or tp (\(p.tp): each expert split over the TP ranks)")
            }
            if !Placement.foldable(p) {
                if p.etp > 1 {
                    throw fail("parallelism.ep", "\(p.ep) cannot be laid over dp x cp = \(p.dp) x \(p.cp) (with etp \(p.etp) the TP ranks split each expert, so experts are spread over data- and context-parallel ranks only; etp 1 keeps experts whole and lets EP span the TP ranks)")
                }
                throw fail("parallelism.ep", "\(p.ep) cannot be laid over dp x cp x tp = \(p.dp) x \(p.cp) x \(p.tp) (experts are spread over data-parallel ranks, then context- and tensor-parallel ones)")
            }
        } else if p.ep != 1 {
            throw fail("parallelism.ep", "is \(p.ep), but the model has no experts (ep must be 1)")
        } else if let etp = p.expertTP, etp != 1 {
            throw fail("parallelism.etp", "is \(etp), but the model has no experts (etp must be 1 or absent)")
        }
        if p.cp > 1, p.cpAlgorithm == .ulysses, (model.heads / p.tp) % p.cp != 0 {
            throw fail("parallelism.cpAlgorithm", "ulysses splits the \(model.heads / p.tp) attention heads of a tensor-parallel rank over cp = \(p.cp), which does not divide them; use \"ring\" or a cp that divides them")
        }
        if let g = p.zeroShardGroup {
            let all = p.dp * p.cp
            if p.zero == 0 { throw fail("parallelism.zeroShardGroup", "shards the ZeRO states, but parallelism.zero is 0 (nothing is sharded)") }
            if all % g != 0 {
                throw fail("parallelism.zeroShardGroup", "\(g) does not divide the \(all) data-parallel ranks (dp x cp = \(p.dp) x \(p.cp)) that hold a replica of the model")
            }
            if Placement(p).shardGroups == nil {
                throw fail("parallelism.zeroShardGroup", "groups of \(g) cannot be taken from the innermost data-parallel ranks (cp \(p.cp), then dp); use a size that divides cp, or a multiple of cp")
            }
        }
        if training.sequenceLength % p.cp != 0 {
            throw fail("parallelism.cp", "\(p.cp) does not divide training.sequenceLength (\(training.sequenceLength))")
        }
        if p.sequenceParallel, p.tp > 1, (training.sequenceLength / p.cp) % p.tp != 0 {
            throw fail("parallelism.sequenceParallel", "the sequence (\(training.sequenceLength / p.cp) per CP rank) does not divide over tp = \(p.tp)")
        }
        let stages = p.pp * p.vpp
        if stages > model.layers {
            throw fail("parallelism.pp", "pp x vpp = \(stages) stages is more than the model's \(model.layers) layers")
        }
        if p.vpp > 1, p.pp == 1 { throw fail("parallelism.vpp", "virtual stages need pp > 1") }
        let maxZero = training.framework.pipelineMaxZero
        if p.pp > 1, p.zero > maxZero {
            throw fail("parallelism.zero", "\(p.zero) with pp \(p.pp): \(training.framework.name) runs ZeRO up to stage \(maxZero) with pipeline parallelism (its stack file's pipelineMaxZero)")
        }
        let fw = training.framework
        if pairsExpertPasses(ep: p.ep), p.schedule != .dualpipe, fw.moeAllToAllOverlapRequires == "megatron-core" {
            // Megatron-Core's checks for --overlap-moe-expert-parallel-comm (transformer_config.py).
            let why = "\(fw.name)'s EP all-to-all overlap (moeAllToAllOverlap) needs"
            if p.pp > 1, p.schedule != .interleaved {
                throw fail("parallelism.schedule", "\(why) the interleaved schedule when pp > 1, found \"\(p.schedule.rawValue)\" with pp \(p.pp)")
            }
            if training.recompute == .full { throw fail("training.recompute", "\(why) no full recompute") }
            if fw.moeDispatcher == "allgather" {
                throw fail("training.framework.moeDispatcher", "\(why) the alltoall or deepep dispatcher, found \"allgather\"")
            }
        }
        if p.vpp > 1, p.schedule != .interleaved {
            throw fail("parallelism.vpp", "vpp = \(p.vpp) needs schedule \"interleaved\", found \"\(p.schedule.rawValue)\"")
        }
        if p.schedule == .dualpipe, p.pp % 2 != 0 { throw fail("parallelism.pp", "DualPipe needs an even pp, found \(p.pp)") }
        let per = p.dp * training.microBatchSequences
        if training.globalBatchSequences % per != 0 {
            throw fail("training.globalBatchSequences", "\(training.globalBatchSequences) is not a multiple of dp x microBatchSequences = \(p.dp) x \(training.microBatchSequences) = \(per)")
        }
        let m = training.globalBatchSequences / per
        if let g = p.microBatchGroup, p.schedule != .interleaved || p.vpp == 1 {
            throw fail("parallelism.microBatchGroup", "\(g) applies to the interleaved schedule (vpp > 1), not \"\(p.schedule.rawValue)\"")
        }
        if let g = p.microBatchGroup, g < p.pp {
            // Megatron's order deadlocks below pp: a chunk's backward would wait on forwards queued behind it.
            throw fail("parallelism.microBatchGroup", "\(g) is less than pp (\(p.pp)); Megatron's interleaved order needs groups of at least pp micro-batches")
        }
        if p.schedule == .interleaved, p.vpp > 1, m % p.group != 0 {
            if p.microBatchGroup == nil {
                throw fail("training.globalBatchSequences", "the interleaved schedule needs micro-batches (\(m)) to be a multiple of pp (\(p.pp))")
            }
            throw fail("parallelism.microBatchGroup", "micro-batches (\(m)) must be a multiple of the group, \(p.group)")
        }
        if p.schedule == .dualpipe, m < 2 * p.pp {
            throw fail("training.globalBatchSequences", "DualPipe needs at least 2 x pp = \(2 * p.pp) micro-batches, found \(m)")
        }
        if p.schedule == .dualpipe, m % 2 != 0 {
            // Half the micro-batches enter from each end (DeepSeek's dualpipe.py asserts an even count).
            throw fail("training.globalBatchSequences", "DualPipe needs an even number of micro-batches (half enter from each end), found \(m)")
        }
        if let split = p.layerSplit {
            if split.count != stages { throw fail("parallelism.layerSplit", "has \(split.count) entries; pp x vpp = \(stages)") }
            if split.reduce(0, +) != model.layers { throw fail("parallelism.layerSplit", "adds up to \(split.reduce(0, +)) layers; the model has \(model.layers)") }
        }
        parallelism = p
    }
}
