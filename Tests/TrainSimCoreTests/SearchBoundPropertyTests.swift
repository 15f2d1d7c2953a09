import Foundation
import XCTest
@testable import TrainSimCore

/// The plan search's lower bound stays at or below the simulated step on every candidate of broad
/// spaces over random bases (model, cluster design, stack, size; fixed seed), so pruning on it
/// never drops a plan that would have ranked.
final class SearchBoundPropertyTests: XCTestCase {
    func testBoundNeverExceedsTheTimelineOnRandomSpaces() throws {
        let env = ProcessInfo.processInfo.environment
        var rng = RandomPlanPropertyTests.SplitMix(s: UInt64(env["PROPERTY_SEED"] ?? "") ?? 29)
        let models = ["llama3-8b", "llama3-70b", "qwen3-30b-a3b", "deepseek-v2"]
        // Every shipped cluster design (domestic accelerators and export parts included).
        let topologies = ["a100-40g-ib", "a100-80g-ib", "a800-roce", "ascend-910b-a2", "ascend-910c-a3", "cambricon-mlu590", "cloudmatrix384",
                          "h100-ib", "h100-ib-oversub2", "h100-roce", "h20-roce", "h200-ib", "h800-hpn-dualplane", "h800-ib", "hygon-k100",
                          "kunlunxin-p800"]
        let stacks = ["megatron-core", "nemo", "pytorch-fsdp", "deepspeed", "mindspeed", "internlm"]
        var scored = 0, spaces = 0
        for _ in 0..<(Int(env["PROPERTY_SPACES"] ?? "") ?? 8) {
            let model = models[rng.next(models.count)], moe = model.hasPrefix("qwen3") || model.hasPrefix("deepseek")
            let stack = stacks[rng.next(stacks.count)], topology = topologies[rng.next(topologies.count)]
            let devices = [64, 128, 256][rng.next(3)], gbs = [256, 1024][rng.next(2)]
            let text = """
            { "schemaVersion": 1, "name": "s", "model": "\(model)",
              "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "framework": "\(stack)" },
              "cluster": { "topology": "\(topology)", "devices": \(devices) },
              "parallelism": { "tp": 1 },
              "search": {"objective": "time", "top": 3, "space": {"parallelism.tp": [1, 2, 4, 8], "parallelism.pp": [1, 2, 4],
                "parallelism.zero": [0, 1, 2, 3], "training.microBatchSequences": [1, 2], "training.recompute": ["none", "selective", "full"],
                "parallelism.schedule": ["1f1b", "interleaved"], "parallelism.vpp": [1, 2]\(moe ? #", "parallelism.ep": [1, 4, 8]"# : "")}} }
            """
            let e = try Experiment.decode(try JSONParser.parse(text), file: "s.json",
                                          folder: SweepPlanTests.root.appendingPathComponent("Experiments"), validatingPlan: false)
            let s = try PlanSearch(e)
            spaces += 1
            for id in s.candidates.indices {
                guard case let .scored(p) = s.evaluate(id) else { continue }
                scored += 1
                XCTAssertLessThanOrEqual(s.candidates[id].secondsBound, p.seconds * (1 + 1e-12),
                                         "bound of #\(id) in \(model) on \(devices) \(topology) under \(stack), gbs \(gbs): \(s.candidates[id])")
            }
        }
        print("search bound: \(scored) simulated candidates over \(spaces) spaces")
        XCTAssertGreaterThan(scored, 200)
    }

    /// The same for context-parallel plans of either algorithm with the schedule's own passes
    /// (`tightBound`), DualPipe included, at 4k to 32k tokens.
    func testTightBoundNeverExceedsTheTimelineWithContextParallelism() throws {
        let env = ProcessInfo.processInfo.environment
        var rng = RandomPlanPropertyTests.SplitMix(s: UInt64(env["PROPERTY_SEED"] ?? "") ?? 31)
        let models = ["llama3-8b", "qwen3-30b-a3b", "qwen2.5-7b"]
        let topologies = ["a100-80g-ib", "ascend-910b-a2", "h100-ib-oversub2", "h20-roce", "h800-ib", "cloudmatrix384"]
        let stacks = ["megatron-core", "nemo", "pytorch-fsdp", "mindspeed"]
        var scored = 0
        for _ in 0..<(Int(env["PROPERTY_SPACES"] ?? "") ?? 4) {
            let model = models[rng.next(models.count)], moe = model.hasPrefix("qwen3")
            let stack = stacks[rng.next(stacks.count)], topology = topologies[rng.next(topologies.count)]
            let seq = [4096, 16384, 32768][rng.next(3)]
            let text = """
            { "schemaVersion": 1, "name": "s", "model": "\(model)",
              "training": { "tokens": 1e11, "sequenceLength": \(seq), "globalBatchSequences": 64, "framework": "\(stack)" },
              "cluster": { "topology": "\(topology)", "devices": 64 },
              "parallelism": { "tp": 1 },
              "search": {"objective": "time", "top": 3, "space": {"parallelism.tp": [1, 2], "parallelism.cp": [2, 4],
                "parallelism.cpAlgorithm": ["ring", "ulysses", "allgather"], "parallelism.pp": [2, 4], "parallelism.zero": [1],
                "training.recompute": ["none", "selective", "full"], "parallelism.schedule": ["1f1b", "interleaved", "dualpipe"],
                "parallelism.vpp": [1, 2]\(moe ? #", "parallelism.ep": [2, 8]"# : "")}} }
            """
            let e = try Experiment.decode(try JSONParser.parse(text), file: "s.json",
                                          folder: SweepPlanTests.root.appendingPathComponent("Experiments"), validatingPlan: false)
            let s = try PlanSearch(e)
            for id in s.candidates.indices {
                guard case let .scored(p) = s.evaluate(id) else { continue }
                scored += 1
                let c = s.candidates[id], tight = s.tightBound(id).seconds
                XCTAssertLessThanOrEqual(c.secondsBound, tight * (1 + 1e-12))
                XCTAssertLessThanOrEqual(tight, p.seconds * (1 + 1e-12), "bound of \(c) in \(model) at \(seq) on \(topology) under \(stack)")
            }
        }
        print("context-parallel search bound: \(scored) simulated candidates")
        XCTAssertGreaterThan(scored, 50)
    }
}
