import XCTest
@testable import TrainSimCore

/// Model states as Megatron's distributed optimizer holds them, so that plans the stacks ran fit.
final class MemoryPlanTests: XCTestCase {
    func nemotron(_ framework: String, precision: String = "fp8") throws -> Analysis {
        // Nemotron-4 340B (arXiv 2402.16819, table 1): 96 layers, hidden 18432, FFN 73728 (squared ReLU), 96 heads, 8 KV heads, vocab 256,000.
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": {"layers": 96, "hidden": 18432, "ffnHidden": 73728, "heads": 96, "kvHeads": 8, "vocab": 256000, "gatedMLP": false},
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 32, "microBatchSequences": 1, "precision": "\(precision)",
                      "recompute": "none", "framework": \(framework)},
         "cluster": {"topology": "h100-ib", "devices": 128},
         "parallelism": {"tp": 8, "pp": 8, "vpp": 12, "zero": 1, "sequenceParallel": true, "schedule": "interleaved"}}
        """), file: "nemotron.json", folder: nil)
        return try Analysis.analyze(e)
    }

    /// NeMo ran Nemotron-4 340B on 128 H100 with TP8 PP8 (VP12), the distributed optimizer and fp8
    /// parameters, which NeMo 2's and Megatron-Bridge's fp8 recipes turn on (the nemo stack's
    /// default); with them the plan fits, without them (bf16 parameters) it does not.
    func testNemotron340BOn128H100FitsWithTheStacksFP8Parameters() throws {
        let fp8Params = try nemotron(#""nemo""#)
        XCTAssertTrue(fp8Params.fits, "\(fp8Params.step.memory)")
        XCTAssertEqual(fp8Params.step.memory, try nemotron(#"{"stack": "nemo", "fp8Params": true}"#).step.memory)
        let bf16Params = try nemotron(#"{"stack": "nemo", "fp8Params": false}"#)
        XCTAssertFalse(bf16Params.fits, "\(bf16Params.step.memory)")
        // fp8 parameters halve the transformer layers' weights; the embedding (stage 0) is not an
        // fp8 linear and stays 16-bit; nothing else moves.
        let embeddingGiB = 256_000.0 * 18_432 / 8 * 2 / 1_073_741_824
        XCTAssertEqual(fp8Params.step.memory.weightsGiB * 2 - embeddingGiB, bf16Params.step.memory.weightsGiB, accuracy: 1e-9)
        XCTAssertEqual(fp8Params.step.memory.optimizerGiB, bf16Params.step.memory.optimizerGiB, accuracy: 1e-9)
        XCTAssertEqual(fp8Params.step.memory.stage, 0)
    }

    /// Megatron's distributed-optimizer table (docs/source/api-guide/dist_optimizer.md): bytes per
    /// parameter 6 + 12/d with fp32 gradients, 4 + 16/d with 16-bit ones.
    func testDistributedOptimizerBytesPerParameter() throws {
        for (grad, expected) in [(4.0, 6.0 + 12.0 / 2), (2.0, 4.0 + 16.0 / 2)] {
            let a = try nemotron(#"{"stack": "megatron-core", "gradReduceBytes": \#(grad)}"#, precision: "bf16")
            let m = a.step.memory
            let perParam = (m.weightsGiB + m.gradientsGiB + m.optimizerGiB) / (m.weightsGiB / 2)
            XCTAssertEqual(perParam, expected, accuracy: 1e-9, "grad bytes \(grad)")
        }
    }

    /// With fp8 parameters the ZeRO-3 gathers carry one byte per parameter on the timeline, and
    /// the search's lower bound counts them the same way, so it stays below every simulated step.
    func testBoundStaysBelowTheTimelineWithFP8Parameters() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        { "model": "llama3-8b",
          "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 128, "precision": "fp8",
                        "framework": {"stack": "pytorch-fsdp", "fp8Params": true} },
          "cluster": { "topology": "h100-roce", "devices": 64 }, "parallelism": { "tp": 1 },
          "search": {"objective": "time", "top": 3, "space": {"parallelism.zero": [3], "parallelism.tp": [1, 2], "parallelism.pp": [1],
                     "training.microBatchSequences": [1, 2], "training.recompute": ["none", "full"]}} }
        """), file: "s.json", folder: nil, validatingPlan: false)
        let s = try PlanSearch(e)
        var checked = 0
        for id in s.candidates.indices {
            guard case let .scored(p) = s.evaluate(id) else { continue }
            checked += 1
            XCTAssertLessThanOrEqual(s.candidates[id].secondsBound, p.seconds, "bound of #\(id)")
        }
        XCTAssertGreaterThan(checked, 2)
    }

    /// GPT-OSS-20B under FSDP2 with expert parallelism on one DGX-H100 (NeMo AutoModel's published
    /// run, C10.2): FSDP's fp32 shard is the master copy (4 + 4 + 8 bytes per parameter over the
    /// shard group), so the plan it ran fits; a bf16 shard beside the master (2 + 4 + 12) would not.
    func testFSDPShardIsTheMasterCopy() throws {
        func gptOSS(_ masterShard: Bool) throws -> Analysis {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": {"layers": 24, "hidden": 2880, "ffnHidden": 2880, "heads": 64, "kvHeads": 8, "headDim": 64, "vocab": 201088,
                       "gatedMLP": true, "slidingWindow": 128, "windowedLayers": 12,
                       "moe": {"experts": 32, "topK": 4, "sharedExperts": 0, "expertFfnHidden": 2880, "denseLayers": 0, "imbalance": 1.0}},
             "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "microBatchSequences": 2, "precision": "bf16",
                          "recompute": "none", "framework": {"stack": "pytorch-fsdp", "moeDispatcher": "deepep", "zero3MasterShard": \(masterShard)}},
             "cluster": {"topology": "h100-ib", "devices": 8},
             "parallelism": {"tp": 1, "pp": 1, "ep": 8, "zero": 3}}
            """), file: "gpt-oss.json", folder: nil)
            return try Analysis.analyze(e)
        }
        let fsdp = try gptOSS(true), beside = try gptOSS(false)
        XCTAssertTrue(fsdp.fits, "\(fsdp.step.memory)")
        XCTAssertFalse(beside.fits, "\(beside.step.memory)")
        // Gradients and Adam's moments plus the master: 16 bytes per sharded parameter against 18.
        let m = fsdp.step.memory, b = beside.step.memory
        XCTAssertEqual(m.gradientsGiB + m.optimizerGiB, b.gradientsGiB + b.optimizerGiB - (b.optimizerGiB / 12 * 4), accuracy: 1e-9)
        XCTAssertEqual(m.optimizerGiB * 12 / 8, b.optimizerGiB, accuracy: 1e-9)
        XCTAssertEqual(m.peakGiB, b.peakGiB - b.optimizerGiB / 12 * 2, accuracy: 1e-9)
    }

    /// Megatron's interleaved warm-up runs 2(pp - r - 1) + (v - 1) pp chunk forwards on rank r before
    /// its first backward: every rank holds nearly pp micro-batches of its layers, the last one
    /// ((v - 1) pp + 1) / v, not the single micro-batch of 1F1B.
    func testInterleavedRanksHoldTheirWarmUp() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 8, "precision": "bf16"},
         "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 2, "pp": 4, "vpp": 2, "schedule": "interleaved"}}
        """), file: "i.json", folder: nil)
        let layout = StageLayout(layers: e.model.layers, pp: 4, vpp: 2, split: nil)
        let mm = MemoryModel(e: e, device: e.cluster.topology.device, params: ParameterCount(e.model), layout: layout)
        XCTAssertEqual(e.microBatches, 8)
        XCTAssertEqual(mm.inFlight(stage: 0, microBatches: 8), (6 + 4 + 1) / 2.0)
        XCTAssertEqual(mm.inFlight(stage: 3, microBatches: 8), (0 + 4 + 1) / 2.0)
        // Never more than the step's micro-batches.
        XCTAssertEqual(mm.inFlight(stage: 0, microBatches: 4), 4)
    }

    /// The last stage holds one micro-batch's logits at the loss's peak: tokens x vocabulary / TP
    /// elements at the stack's `logitsBytes`, 6 under Megatron-Core's vocab-parallel cross entropy
    /// (bf16 logits beside their fp32 copy), 8 under the FSDP stack's estimate; the other stages none.
    func testLastStageHoldsTheLossLogitsAtTheStacksBytes() throws {
        func memory(_ framework: String) throws -> (last: MemoryBreakdown, first: MemoryBreakdown) {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 8, "microBatchSequences": 2,
                                                "precision": "bf16", "framework": \(framework)},
             "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 2, "pp": 4}}
            """), file: "l.json", folder: nil)
            let layout = StageLayout(layers: e.model.layers, pp: 4, vpp: 1, split: nil)
            let mm = MemoryModel(e: e, device: e.cluster.topology.device, params: ParameterCount(e.model), layout: layout)
            return (mm.breakdown(stage: 3, microBatches: e.microBatches), mm.breakdown(stage: 0, microBatches: e.microBatches))
        }
        let elements = 2.0 * 4096 * 128_256 / 2
        let megatron = try memory(#""megatron-core""#), fsdp = try memory(#"{"stack": "megatron-core", "logitsBytes": 8}"#)
        XCTAssertEqual(megatron.last.logitsGiB, elements * 6 / 1_073_741_824, accuracy: 1e-12)
        XCTAssertEqual(fsdp.last.logitsGiB, elements * 8 / 1_073_741_824, accuracy: 1e-12)
        XCTAssertEqual(try memory(#""pytorch-fsdp""#).last.logitsGiB, fsdp.last.logitsGiB, accuracy: 1e-12)
        XCTAssertEqual(megatron.first.logitsGiB, 0)
        XCTAssertEqual(fsdp.last.peakGiB - megatron.last.peakGiB, elements * 2 / 1_073_741_824, accuracy: 1e-9)
    }
}
