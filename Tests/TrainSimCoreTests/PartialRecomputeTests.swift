import XCTest
@testable import TrainSimCore

/// Full recompute of only the first N layers of each model chunk (`training.recomputeLayers`,
/// Megatron-Core's `--recompute-method block --recompute-num-layers N`): the plan between no
/// recompute and full recompute that lets a model fit with the least recompute.
final class PartialRecomputeTests: XCTestCase {
    /// Llama 3 70B on 64 H100, TP8 PP4 with 2 virtual stages: chunks of 10 layers.
    func experiment(_ recompute: String, layers: Int? = nil, schedule: String = "interleaved", vpp: Int = 2) throws -> Experiment {
        let extra = layers.map { ", \"recomputeLayers\": \($0)" } ?? ""
        return try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-70b",
         "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 64, "precision": "bf16", "recompute": "\(recompute)"\(extra)},
         "cluster": {"topology": "h100-ib", "devices": 64},
         "parallelism": {"tp": 8, "pp": 4, "vpp": \(vpp), "schedule": "\(schedule)"}}
        """), file: "p.json", folder: nil)
    }

    /// As many layers as a chunk has (or more) is full recompute, exactly; every figure equal.
    func testAllLayersOfAChunkIsFullRecompute() throws {
        let full = try Analysis.analyze(try experiment("full"))
        for n in [10, 11, 1000] {
            let all = try Analysis.analyze(try experiment("full", layers: n))
            XCTAssertEqual(all.step.stepSeconds, full.step.stepSeconds, "\(n)")
            XCTAssertEqual(all.step.memory, full.step.memory, "\(n)")
            XCTAssertEqual(all.hfu, full.hfu, accuracy: 1e-12, "\(n)")
        }
    }

    /// More layers recomputed: the step never gets shorter and the peak never higher; the ends are
    /// no recompute and full recompute (step and activations between theirs).
    func testMoreRecomputedLayersCostTimeAndSaveMemory() throws {
        for (schedule, vpp) in [("interleaved", 2), ("1f1b", 1)] {
            let none = try Analysis.analyze(try experiment("none", schedule: schedule, vpp: vpp))
            let full = try Analysis.analyze(try experiment("full", schedule: schedule, vpp: vpp))
            var last = none
            for n in 1...(20 / vpp) {
                let a = try Analysis.analyze(try experiment("full", layers: n, schedule: schedule, vpp: vpp))
                XCTAssertGreaterThanOrEqual(a.step.stepSeconds, last.step.stepSeconds * (1 - 1e-9), "\(schedule) \(n)")
                XCTAssertLessThan(a.step.memory.activationsGiB, last.step.memory.activationsGiB, "\(schedule) \(n)")
                XCTAssertLessThanOrEqual(a.step.stepSeconds, full.step.stepSeconds * (1 + 1e-9), "\(schedule) \(n)")
                XCTAssertGreaterThanOrEqual(a.step.memory.activationsGiB, full.step.memory.activationsGiB * (1 - 1e-9), "\(schedule) \(n)")
                // HFU counts the recomputed share: between none's (= MFU) and full's.
                XCTAssertGreaterThan(a.hfu, a.mfu, "\(schedule) \(n)")
                last = a
            }
        }
    }

    /// The hardware FLOPs count the recomputed layers' forward and nothing more: with 3 of 10
    /// layers per chunk, 3/10 of what full recompute adds.
    func testHardwareFLOPsCountTheRecomputedShare() throws {
        let none = try Analysis.analyze(try experiment("none")), full = try Analysis.analyze(try experiment("full"))
        let part = try Analysis.analyze(try experiment("full", layers: 3))
        let added = full.step.hardwareFLOPsPerToken - none.step.hardwareFLOPsPerToken
        XCTAssertEqual(part.step.hardwareFLOPsPerToken - none.step.hardwareFLOPsPerToken, 0.3 * added, accuracy: 1e-6 * added)
    }

    /// Only full recompute reads it: with no or selective recompute the plan is as without it.
    func testIgnoredUnlessFullRecompute() throws {
        for mode in ["none", "selective"] {
            let plain = try Analysis.analyze(try experiment(mode)), given = try Analysis.analyze(try experiment(mode, layers: 2))
            XCTAssertEqual(plain.step.stepSeconds, given.step.stepSeconds, mode)
            XCTAssertEqual(plain.step.memory, given.step.memory, mode)
        }
    }

    func testBadValuesAreOneLineErrors() {
        for bad in ["0", "-1", "2.5", "\"two\""] {
            let json = """
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 64, "recompute": "full", "recomputeLayers": \(bad)},
             "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 8}}
            """
            XCTAssertThrowsError(try Experiment.decode(try JSONParser.parse(json), file: "x.json", folder: nil), bad) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("recomputeLayers"), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }
}
