import XCTest
@testable import TrainSimCore

/// Where the stacks issue their collectives and what waits on them, as their sources describe:
/// DeepSpeed ZeRO-2's per-micro-step reductions, Megatron-Core's paired MoE passes without a
/// pipeline, and the allgather dispatcher over expert-TP x EP.
final class IssuePointTests: XCTestCase {
    func experiment(_ text: String) throws -> Experiment {
        try Experiment.decode(try JSONParser.parse(text), file: "test.json", folder: nil)
    }

    func dense(zero: Int, framework: String = "\"deepspeed\"", pp: Int = 1, tp: Int = 1, gbs: Int = 32) throws -> Experiment {
        try experiment("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "microBatchSequences": 1,
          "precision": "bf16", "recompute": "full", "framework": \(framework)},
         "cluster": {"topology": "a100-80g-ib", "devices": 8}, "parallelism": {"tp": \(tp), "pp": \(pp), "zero": \(zero)}}
        """)
    }

    /// DeepSpeed ZeRO-2 reduces every micro-step, each bucket as it fills and on the compute
    /// stream (overlap_comm off); ZeRO-1 once, at the accumulation boundary.
    func testDeepSpeedZeRO2ReducesEveryMicroStepAndBackwardWaits() throws {
        let one = try Engine.simulateStep(try dense(zero: 1)), two = try Engine.simulateStep(try dense(zero: 2))
        XCTAssertEqual(one.microBatches, 4)
        // The gradient reductions of every micro-batch against those of the last one (not the
        // 8-byte gradient-norm all-reduce).
        let reduces = { (r: StepResult) in
            r.collectives.filter { $0.label == "dp" && $0.kind != .allGather && $0.bytes > 1e6 }.map(\.callsPerStep).reduce(0, +)
        }
        XCTAssertEqual(reduces(two), 4 * reduces(one))
        // Not overlapped: the compute stream waits for every one of them.
        XCTAssertGreaterThan(two.breakdown.dp, 2 * one.breakdown.dp)
        XCTAssertGreaterThan(two.stepSeconds, one.stepSeconds)
    }

    func moe(overlap: Bool, pp: Int = 1) throws -> Experiment {
        try experiment("""
        {"model": "deepseek-v2", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "microBatchSequences": 1,
          "precision": "bf16", "recompute": "none", "framework": {"stack": "megatron-core", "moeAllToAllOverlap": \(overlap)}},
         "cluster": {"topology": "h800-ib", "devices": 64}, "parallelism": {"tp": 1, "pp": \(pp), "ep": 16, "zero": 1}}
        """)
    }

    /// Without a pipeline, Megatron-Core pairs each forward with the previous micro-batch's
    /// backward (combined_1f1b.py): the first forward and the last backward alone, and one more
    /// micro-batch's activations held.
    func testPairedMoEPassesWithoutAPipeline() throws {
        let order = PipelineOrder(pp: 1, vpp: 1, microBatches: 4, schedule: .oneFOneB, group: 1)
        let ops = order.ops(rank: 0, pairSteadyState: true)
        XCTAssertEqual(ops.map { "\($0.pass == .forward ? "F" : "B")\($0.microBatch)\($0.pairedWithNext ? "+" : "")" },
                       ["F0", "F1+", "B0", "F2+", "B1", "F3+", "B2", "B3"])
        let plain = try Engine(try moe(overlap: false)), paired = try Engine(try moe(overlap: true))
        let a = plain.step(), b = paired.step()
        XCTAssertLessThan(b.breakdown.ep, 0.6 * a.breakdown.ep)
        XCTAssertLessThan(b.stepSeconds, a.stepSeconds)
        func inFlight(_ engine: Engine) -> Double {
            let e = engine.experiment
            return MemoryModel(e: e, device: e.cluster.topology.device, params: ParameterCount(e.model),
                               layout: StageLayout(layers: e.model.layers, pp: 1, vpp: 1, split: nil)).inFlight(stage: 0, microBatches: 8)
        }
        XCTAssertEqual(inFlight(paired), 2)
        XCTAssertEqual(inFlight(plain), 1)
    }

    /// The allgather dispatcher gathers over expert-TP x EP: with experts split over TP, each rank
    /// ends with every token of its ep x tp ranks (the TP gather, then an EP gather of the TP
    /// group's tokens), not the sequence-parallel shares of its EP peers.
    func testAllGatherDispatcherOverExpertTPAndEP() throws {
        let e = try experiment("""
        {"model": "deepseek-v2", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "microBatchSequences": 1,
          "precision": "bf16", "recompute": "full", "framework": "mindspeed"},
         "cluster": {"topology": "ascend-910b-a2", "devices": 64}, "parallelism": {"tp": 2, "pp": 1, "ep": 4, "etp": 2, "zero": 1}}
        """)
        let r = try Engine.simulateStep(e)
        let gather = try XCTUnwrap(r.collectives.first { $0.label == "ep" && $0.kind == .allGather })
        XCTAssertEqual(gather.groupSize, 4)
        XCTAssertEqual(gather.bytes, 4096 * Double(e.model.hidden) * 2 * 4)
    }

    /// Megatron's interleaved schedule overlaps only its steady state's pipeline transfers: a
    /// warm-up forward's send completes before the rank's next compute (send_forward_recv_forward),
    /// unless the stack overlaps the warm-up and flush too (--overlap-p2p-communication-warmup-flush).
    func testInterleavedWarmUpSendsBlockUnlessOverlapped() throws {
        func engine(_ overlap: Bool, schedule: String = "interleaved") throws -> Engine {
            try Engine(try experiment("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 8, "microBatchSequences": 1,
              "precision": "bf16", "recompute": "none", "framework": {"stack": "megatron-core", "p2pOverlapWarmupFlush": \(overlap)}},
             "cluster": {"topology": "a100-80g-ib", "devices": 32},
             "parallelism": {"tp": 8, "pp": 4, "vpp": \(schedule == "interleaved" ? 2 : 1), "zero": 1, "schedule": "\(schedule)"}}
            """))
        }
        /// Per warm-up forward send: whether the rank's next compute started only after it ended.
        func warmUpSendsWaited(_ engine: Engine) -> [Bool] {
            let m = engine.experiment.microBatches, par = engine.experiment.parallelism
            let s = engine.simulate(microBatches: m, optimizer: engine.optimizerSecondsPerStage())
            let g = s.graph, per = Int(TaskGraph.streamsPerStage)
            let order = PipelineOrder(pp: par.pp, vpp: par.vpp, microBatches: m, schedule: par.schedule, group: par.group)
            var out: [Bool] = []
            for r in 0..<par.pp {
                let ops = order.ops(rank: r, pairSteadyState: false)
                let warm = ops.prefix { $0.pass == .forward }
                for op in warm where order.next(Int(op.virtualStage)) != nil {
                    let send = try! XCTUnwrap((0..<g.count).first {
                        Int(g.stream[$0]) == r * per + Int(TaskGraph.Stream.ppForward.rawValue)
                            && g.microBatch[$0] == op.microBatch && g.virtualStage[$0] == op.virtualStage
                    })
                    guard let next = ((send + 1)..<g.count).first(where: { Int(g.stream[$0]) == r * per }) else { continue }
                    out.append(s.start[next] >= s.end[send] - 1e-12)
                }
            }
            return out
        }
        let blocking = warmUpSendsWaited(try engine(false)), overlapped = warmUpSendsWaited(try engine(true))
        XCTAssertGreaterThan(blocking.count, 8)
        XCTAssertTrue(blocking.allSatisfy { $0 })
        XCTAssertTrue(overlapped.contains(false))
        XCTAssertGreaterThanOrEqual(try engine(false).step().stepSeconds, try engine(true).step().stepSeconds)
        // 1F1B blocks on every send whatever the flag says.
        XCTAssertEqual(try engine(false, schedule: "1f1b").step().stepSeconds, try engine(true, schedule: "1f1b").step().stepSeconds)
    }

    /// Megatron-Core's gradient buckets grow with the data-parallel group: max(40M, 1M x DP x CP)
    /// parameters (distributed_data_parallel.py L133-137); NeMo's recipes fix them at 128M.
    func testMegatronBucketsGrowWithDataParallelSize() throws {
        func reduceScatters(_ framework: String) throws -> Double {
            let r = try Engine.simulateStep(try experiment("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 128, "microBatchSequences": 1,
              "precision": "bf16", "recompute": "full", "framework": \(framework)},
             "cluster": {"topology": "h800-ib", "devices": 1024}, "parallelism": {"tp": 8, "pp": 1, "zero": 1}}
            """))
            return r.collectives.filter { $0.label == "dp" && $0.kind == .reduceScatter }.map(\.callsPerStep).reduce(0, +)
        }
        let megatron = try reduceScatters("\"megatron-core\"")
        XCTAssertEqual(megatron, try reduceScatters(#"{"stack": "megatron-core", "bucketParameters": 128e6, "bucketParametersPerRank": 0}"#))
        XCTAssertLessThan(megatron, try reduceScatters(#"{"stack": "megatron-core", "bucketParametersPerRank": 0}"#))
        // DP 128: 1.0e9 parameters per device (TP 8) in buckets of at least 128M, whole layers of 27M each.
        XCTAssertEqual(megatron, 8.03e9 / 8 / 128e6, accuracy: 1.5)
    }

    /// Megatron-Core rejects its EP all-to-all overlap with pp > 1 outside the interleaved
    /// schedule, with full recompute, or with the allgather dispatcher (transformer_config.py);
    /// so does trainsim where the stack says so, and a search never offers such a plan.
    func testMegatronRulesForTheAllToAllOverlap() throws {
        func check(stack: String = "megatron-core", pp: Int, schedule: String, recompute: String = "selective",
                   dispatcher: String = "alltoall") throws -> String? {
            do {
                _ = try experiment("""
                {"model": "deepseek-v2", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "microBatchSequences": 1,
                  "precision": "bf16", "recompute": "\(recompute)",
                  "framework": {"stack": "\(stack)", "moeAllToAllOverlap": true, "moeDispatcher": "\(dispatcher)"}},
                 "cluster": {"topology": "h800-ib", "devices": 64},
                 "parallelism": {"tp": 1, "pp": \(pp), "vpp": \(schedule == "interleaved" ? 2 : 1), "ep": 8, "zero": 1, "schedule": "\(schedule)"}}
                """)
                return nil
            } catch let e as TrainSimError { return e.description }
        }
        XCTAssertNil(try check(pp: 1, schedule: "1f1b"))
        XCTAssertNil(try check(pp: 2, schedule: "interleaved"))
        XCTAssertNil(try check(pp: 2, schedule: "dualpipe"))
        XCTAssertNil(try check(stack: "mindspeed", pp: 2, schedule: "1f1b"))
        let pipeline = try XCTUnwrap(try check(pp: 2, schedule: "1f1b"))
        XCTAssertTrue(pipeline.contains("parallelism.schedule") && pipeline.contains("interleaved"), pipeline)
        XCTAssertTrue(try XCTUnwrap(try check(pp: 1, schedule: "1f1b", recompute: "full")).contains("training.recompute"))
        XCTAssertTrue(try XCTUnwrap(try check(pp: 1, schedule: "1f1b", dispatcher: "allgather")).contains("allgather"))
        XCTAssertFalse(pipeline.contains("\n"))
    }

    /// Tied embeddings under a pipeline: the last stage's copy of the embedding sums its gradients
    /// with the first stage's, one all-reduce between the two ranks per step, after their
    /// gradient reductions and before the grad-norm all-reduce (finalize_model_grads.py).
    func testTiedEmbeddingGradientsAllReducedBetweenFirstAndLastStage() throws {
        func run(tied: Bool, pp: Int) throws -> StepResult {
            try Engine.simulateStep(try experiment("""
            {"model": {"layers": 16, "hidden": 2048, "ffnHidden": 8192, "heads": 16, "vocab": 50304, "gatedMLP": false, "tiedEmbeddings": \(tied)},
             "training": {"tokens": 1e12, "sequenceLength": 2048, "globalBatchSequences": 64, "microBatchSequences": 1,
              "precision": "bf16", "recompute": "none", "framework": "megatron-core"},
             "cluster": {"topology": "a100-80g-ib", "devices": 32}, "parallelism": {"tp": 2, "pp": \(pp), "zero": 1}}
            """))
        }
        func embeddingAllReduces(_ r: StepResult) -> [CollectiveRecord] {
            r.collectives.filter { $0.label == "pp" && $0.kind == .allReduce }
        }
        let tied = try run(tied: true, pp: 4)
        let ar = try XCTUnwrap(embeddingAllReduces(tied).first)
        XCTAssertEqual(embeddingAllReduces(tied).count, 1)
        XCTAssertEqual(ar.groupSize, 2)
        XCTAssertEqual(ar.callsPerStep, 1)
        // The embedding's gradients in fp32 (Megatron's main gradients), split over TP.
        XCTAssertEqual(ar.bytes, 50304 * 2048 / 2 * 4)
        XCTAssertTrue(embeddingAllReduces(try run(tied: false, pp: 4)).isEmpty)
        XCTAssertTrue(embeddingAllReduces(try run(tied: true, pp: 1)).isEmpty)
    }

    /// FSDP's SHARD_GRAD_OP (ZeRO-2) shards the parameters again after every backward, so each
    /// micro-batch's forward gathers every unit (torch/distributed/fsdp/api.py); DeepSpeed's
    /// ZeRO-2 keeps whole parameters and gathers them once, after the optimizer.
    func testFSDPZeRO2GathersInEveryForward() throws {
        func gathers(_ framework: String, zero: Int = 2) throws -> (calls: Double, result: StepResult) {
            let r = try Engine.simulateStep(try dense(zero: zero, framework: framework))
            XCTAssertEqual(r.microBatches, 4)
            let calls = r.collectives.filter { $0.label == "dp" && $0.kind == .allGather }.map(\.callsPerStep).reduce(0, +)
            return (calls, r)
        }
        let fsdp = try gathers("\"pytorch-fsdp\""), once = try gathers("{\"stack\": \"pytorch-fsdp\", \"zero2ReshardAfterBackward\": false}")
        let deepspeed = try gathers("\"deepspeed\"")
        // Llama 3 8B: 32 layers, the embedding and the output layer.
        XCTAssertEqual(once.calls, 34)
        XCTAssertEqual(deepspeed.calls, 34)
        XCTAssertEqual(fsdp.calls, 4 * 34)
        // (Where the extra gathers hide entirely, the two steps agree to rounding.)
        XCTAssertGreaterThanOrEqual(fsdp.result.stepSeconds, once.result.stepSeconds * (1 - 1e-12))
        // With one micro-batch per step the two are the same gathers.
        let single = try Engine.simulateStep(try dense(zero: 2, framework: "\"pytorch-fsdp\"", gbs: 8))
        let singleOnce = try Engine.simulateStep(try dense(zero: 2, framework: "{\"stack\": \"pytorch-fsdp\", \"zero2ReshardAfterBackward\": false}", gbs: 8))
        XCTAssertEqual(single.stepSeconds, singleOnce.stepSeconds)
        // ZeRO-3 is unchanged by the key: a gather before every forward and every backward.
        XCTAssertEqual(try gathers("\"pytorch-fsdp\"", zero: 3).calls, try gathers("{\"stack\": \"pytorch-fsdp\", \"zero2ReshardAfterBackward\": false}", zero: 3).calls)
    }

    /// Megatron's interleaved schedule with align_grad_reduce (schedules.py backward_step_helper):
    /// no bucket is reduced while its chunk's last backward runs; each chunk's whole reduction is
    /// launched after the backward `pp_rank` virtual micro-batches after the chunk's last one, and
    /// those past the schedule's end after the rank's last compute.
    func testAlignedGradientReductionLaunchesPPRankBackwardsLater() throws {
        func engine(_ align: Bool, vpp: Int = 2) throws -> Engine {
            try Engine(try experiment("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 16, "microBatchSequences": 1,
              "precision": "bf16", "recompute": "none", "framework": {"stack": "megatron-core", "alignGradReduce": \(align)}},
             "cluster": {"topology": "a100-80g-ib", "devices": 64},
             "parallelism": {"tp": 8, "pp": 4, "vpp": \(vpp), "zero": 1, "schedule": "interleaved"}}
            """))
        }
        // One virtual stage per rank: Megatron runs its non-interleaved schedule, which does not align.
        XCTAssertEqual(try engine(true, vpp: 1).step().stepSeconds, try engine(false, vpp: 1).step().stepSeconds)
        /// Per rank, the (micro-batch, virtual stage) of the computes the gradient reduce-scatters wait for.
        func launches(_ engine: Engine) -> [Set<[Int32]>] {
            let m = engine.experiment.microBatches
            let g = engine.simulate(microBatches: m, optimizer: engine.optimizerSecondsPerStage()).graph
            let per = Int(TaskGraph.streamsPerStage)
            var out = [Set<[Int32]>](repeating: [], count: engine.experiment.parallelism.pp)
            for i in 0..<g.count where g.category[i] == .dp && Int(g.stream[i]) % per == Int(TaskGraph.Stream.dpReduce.rawValue)
                && g.request[i] >= 0 && g.requests[Int(g.request[i])].kind == .reduceScatter {
                for d in g.deps[Int(g.depStart[i])..<Int(g.depStart[i + 1])] where g.category[Int(d)] == .compute {
                    out[Int(g.stage[i])].insert([g.microBatch[Int(d)], g.virtualStage[Int(d)]])
                }
            }
            return out
        }
        let aligned = try engine(true), free = try engine(false)
        let par = aligned.experiment.parallelism, m = aligned.experiment.microBatches
        XCTAssertEqual(m, 8)
        let order = PipelineOrder(pp: par.pp, vpp: par.vpp, microBatches: m, schedule: par.schedule, group: par.group)
        /// Per rank, the backwards `offset` after each chunk's last (the rank's last if past the end).
        func expected(offset: (Int) -> Int) -> [Set<[Int32]>] {
            (0..<par.pp).map { r in
                let backwards = order.ops(rank: r, pairSteadyState: false).filter { $0.pass == .backward }
                return Set(Set(backwards.map(\.virtualStage)).map { vs in
                    let at = backwards[min(backwards.lastIndex { $0.virtualStage == vs }! + offset(r), backwards.count - 1)]
                    return [at.microBatch, at.virtualStage]
                })
            }
        }
        XCTAssertEqual(launches(aligned), expected { $0 })
        // Without alignment each chunk's reduction starts in its own last backward.
        XCTAssertEqual(launches(free), expected { _ in 0 })
        XCTAssertNotEqual(expected { $0 }, expected { _ in 0 })
        XCTAssertGreaterThanOrEqual(aligned.step().breakdown.dp, free.step().breakdown.dp)
    }

    /// Megatron's interleaved schedule with align_param_gather (schedules.py
    /// forward_step_helper_preprocess): a rank's first two chunks gather their parameters at the
    /// schedule's start; chunk c + 1 (c >= 1) before the forward `pp_rank` virtual micro-batches
    /// ahead of chunk c's first, each chunk whole.
    func testAlignedParameterGathersLaunchAheadOfTheirChunk() throws {
        func engine(_ align: Bool) throws -> Engine {
            try Engine(try experiment("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 16, "microBatchSequences": 1,
              "precision": "bf16", "recompute": "none", "framework": {"stack": "megatron-core", "overlapParamGather": true, "alignParamGather": \(align)}},
             "cluster": {"topology": "a100-80g-ib", "devices": 64},
             "parallelism": {"tp": 8, "pp": 4, "vpp": 4, "zero": 1, "schedule": "interleaved"}}
            """))
        }
        /// Per rank: the (micro-batch, virtual stage) of the computes parameter gathers wait for,
        /// and how many gathers wait for no compute (only the gathers before them on their stream).
        func gathers(_ engine: Engine) -> [(after: Set<[Int32]>, atStart: Int)] {
            let m = engine.experiment.microBatches
            let g = engine.simulate(microBatches: m, optimizer: engine.optimizerSecondsPerStage()).graph
            let per = Int(TaskGraph.streamsPerStage)
            var out = [(after: Set<[Int32]>, atStart: Int)](repeating: ([], 0), count: engine.experiment.parallelism.pp)
            for i in 0..<g.count where Int(g.stream[i]) % per == Int(TaskGraph.Stream.dpGather.rawValue)
                && g.request[i] >= 0 && g.requests[Int(g.request[i])].kind == .allGather {
                let deps = g.deps[Int(g.depStart[i])..<Int(g.depStart[i + 1])]
                if !deps.contains(where: { g.category[Int($0)] == .compute }) { out[Int(g.stage[i])].atStart += 1 }
                for d in deps where g.category[Int(d)] == .compute { out[Int(g.stage[i])].after.insert([g.microBatch[Int(d)], g.virtualStage[Int(d)]]) }
            }
            return out
        }
        let aligned = try engine(true)
        let par = aligned.experiment.parallelism, m = aligned.experiment.microBatches
        XCTAssertEqual(m, 8)
        let order = PipelineOrder(pp: par.pp, vpp: par.vpp, microBatches: m, schedule: par.schedule, group: par.group)
        let got = gathers(aligned)
        for r in 0..<par.pp {
            let ops = order.ops(rank: r, pairSteadyState: false)
            let forwards = ops.indices.filter { ops[$0].pass == .forward }
            var chunks: [Int32] = []
            for k in forwards where !chunks.contains(ops[k].virtualStage) { chunks.append(ops[k].virtualStage) }
            XCTAssertEqual(chunks.count, 4)
            var expected = Set<[Int32]>()
            for c in 1..<(chunks.count - 1) {
                let first = forwards.firstIndex { ops[$0].virtualStage == chunks[c] }!
                let before = ops[forwards[first - r] - 1]
                expected.insert([before.microBatch, before.virtualStage])
            }
            XCTAssertEqual(got[r].after, expected, "rank \(r)")
            // Chunks 0 and 1 at the start: two layers each (and the embedding on the first rank).
            XCTAssertEqual(got[r].atStart, 4 + (r == 0 ? 1 : 0), "rank \(r)")
        }
        XCTAssertNotEqual(gathers(try engine(false)).map(\.after), got.map(\.after))
    }
}
