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
    /// parameters; with them the plan fits, without them (bf16 parameters) it does not.
    func testNemotron340BOn128H100FitsWithTheStacksFP8Parameters() throws {
        let fp8Params = try nemotron(#"{"stack": "nemo", "fp8Params": true}"#)
        XCTAssertTrue(fp8Params.fits, "\(fp8Params.step.memory)")
        let bf16Params = try nemotron(#""nemo""#)
        XCTAssertFalse(bf16Params.fits, "\(bf16Params.step.memory)")
        // fp8 parameters halve the weights; nothing else moves.
        XCTAssertEqual(fp8Params.step.memory.weightsGiB * 2, bf16Params.step.memory.weightsGiB, accuracy: 1e-9)
        XCTAssertEqual(fp8Params.step.memory.optimizerGiB, bf16Params.step.memory.optimizerGiB, accuracy: 1e-9)
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
}

