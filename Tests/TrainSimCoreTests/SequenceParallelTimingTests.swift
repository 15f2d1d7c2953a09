import XCTest
@testable import TrainSimCore

/// Korthikanti et al. 2022 (arXiv 2205.05198), Table 4, timed one layer of their 22B model (h 6144,
/// 64 heads, TP 8, sequence 2048, micro-batch 4, A100) under each activation strategy: 19.6 ms forward
/// and backward without recompute, 19.0 with sequence parallelism, 20.9 with selective recompute,
/// 20.3 with both, 27.2 with full recompute (unfused attention with dropout, as in 2022). The step
/// of C2's 22B run (48 such layers on one node) should move between the strategies as the layer
/// did: sequence parallelism saves what the
/// Megatron stacks' fused elementwise passes (`elementwisePasses`, derived from this table's
/// forward times) make it save, and full recompute costs what it cost against selective.
final class SequenceParallelTimingTests: XCTestCase {
    func step(recompute: String, sequenceParallel: Bool, stack: String = "megatron-core") throws -> Double {
        try step(recompute: recompute, sequenceParallel: sequenceParallel, framework: "\"\(stack)\"")
    }

    /// `framework`: the JSON of `training.framework` (a stack's name in quotes, or an override object).
    func step(recompute: String, sequenceParallel: Bool, framework: String) throws -> Double {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": {"layers": 48, "hidden": 6144, "ffnHidden": 24576, "heads": 64, "vocab": 51200, "gatedMLP": false, "dropout": 0.1},
         "training": {"tokens": 1e11, "sequenceLength": 2048, "globalBatchSequences": 4, "microBatchSequences": 4, "precision": "fp16",
                      "recompute": "\(recompute)", "framework": \(framework), "attention": "unfused"},
         "cluster": {"topology": "a100-80g-ib", "devices": 8},
         "parallelism": {"tp": 8, "pp": 1, "zero": 0, "sequenceParallel": \(sequenceParallel)}}
        """), file: "k.json", folder: nil)
        return try Analysis.analyze(e).step.stepSeconds
    }

    func testSequenceParallelismSavesWhatTable4Measured() throws {
        // Published savings: 1 - 19.0/19.6 = 3.1 % without recompute, 1 - 20.3/20.9 = 2.9 % with selective.
        for (recompute, published) in [("none", 1 - 19.0 / 19.6), ("selective", 1 - 20.3 / 20.9)] {
            let saving = 1 - (try step(recompute: recompute, sequenceParallel: true)) / (try step(recompute: recompute, sequenceParallel: false))
            XCTAssertEqual(saving, published, accuracy: 0.01, recompute)
        }
    }

    func testFullRecomputeCostsWhatTable4MeasuredAgainstSelective() throws {
        // Published: 27.2 / 20.9 = 1.30 (both without sequence parallelism).
        let ratio = try step(recompute: "full", sequenceParallel: false) / step(recompute: "selective", sequenceParallel: false)
        XCTAssertEqual(ratio, 27.2 / 20.9, accuracy: 0.03)
    }

    /// A stack without fused kernels of its own takes the device's unfused count, and saves more
    /// by sequence parallelism; an experiment may give the stack's count itself.
    func testStackPassesOverrideTheDevices() throws {
        let fused = try FrameworkSpec.load("megatron-core", relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
        XCTAssertEqual(fused.elementwisePasses, 8.7)
        let eager = try FrameworkSpec.load("pytorch-fsdp", relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
        XCTAssertEqual(eager.elementwisePasses, 0, "pytorch-fsdp: the device file's figure")
        let saving = { (stack: String) throws -> Double in
            1 - (try self.step(recompute: "none", sequenceParallel: true, stack: stack)) / (try self.step(recompute: "none", sequenceParallel: false, stack: stack))
        }
        XCTAssertGreaterThan(try saving("pytorch-fsdp"), try saving("megatron-core"))
        // An experiment's override: megatron-core with the device's 16 passes is slower, and gains more from SP.
        let unfused = #"{"stack": "megatron-core", "elementwisePasses": 16}"#
        XCTAssertGreaterThan(try step(recompute: "none", sequenceParallel: false, framework: unfused),
                             try step(recompute: "none", sequenceParallel: false))
        XCTAssertGreaterThan(1 - (try step(recompute: "none", sequenceParallel: true, framework: unfused))
                                 / (try step(recompute: "none", sequenceParallel: false, framework: unfused)), try saving("megatron-core"))
        // Out of range: a one-line error naming the key.
        XCTAssertThrowsError(try step(recompute: "none", sequenceParallel: false, framework: #"{"stack": "megatron-core", "elementwisePasses": 500}"#)) { e in
            XCTAssertTrue("\(e)".contains("elementwisePasses"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "\(e)")
        }
    }
}
