import XCTest
@testable import TrainSimCore

/// The FLOP conventions: the time a step takes is spent on the FLOPs actually executed (causal
/// attention), so HFU, which counts those, can never exceed the best efficiency the device file
/// allows, at any sequence length and with any recompute mode; MFU never exceeds HFU.
final class FLOPAccountingTests: XCTestCase {
    func run(_ model: String, topology: String, devices: Int, seq: Int, recompute: String, tp: Int, cp: Int, precision: String = "bf16") throws -> Analysis {
        let gbs = max(devices / (tp * cp), 1) * 2
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "\(model)", "training": {"tokens": 1e11, "sequenceLength": \(seq), "globalBatchSequences": \(gbs), "microBatchSequences": 1,
          "precision": "\(precision)", "recompute": "\(recompute)"},
         "cluster": {"topology": "\(topology)", "devices": \(devices)}, "parallelism": {"tp": \(tp), "cp": \(cp), "pp": 1, "zero": 1}}
        """), file: "flops.json", folder: nil)
        return try Analysis.analyze(e)
    }

    func testHFUNeverExceedsTheDevicesBestEfficiency() throws {
        for (topology, devices) in [("a100-80g-ib", 16), ("h100-ib", 16)] {
            for seq in [2048, 8192, 32768, 131072] {
                for recompute in ["none", "selective", "full"] {
                    let cp = seq >= 32768 ? 8 : 1
                    let a = try run("llama3-8b", topology: topology, devices: devices, seq: seq, recompute: recompute, tp: 2, cp: cp)
                    let dev = a.experiment.cluster.topology.device
                    let best = max(dev.gemmEfficiency.points.map(\.y).max()!, dev.attentionEfficiency.points.map(\.y).max()!)
                    let label = "\(topology) seq \(seq) \(recompute): MFU \(a.mfu) HFU \(a.hfu), best \(best)"
                    XCTAssertLessThanOrEqual(a.hfu, best, label)
                    XCTAssertLessThanOrEqual(a.mfu, a.hfu + 1e-12, label)
                    XCTAssertGreaterThan(a.mfu, 0.05, label)
                }
            }
        }
    }

    /// The same bound on every shipped design, whatever its silicon (fitted curves, estimated
    /// ones, Ascend's level factor), for the plans that fit its memory.
    func testHFUNeverExceedsTheBestEfficiencyOnAnyShippedDesign() throws {
        var checked = 0
        for topology in ShippedTopologyTests.expectedTopologies.keys.sorted() {
            let devices = topology == "cloudmatrix384" ? 384 : 16
            for seq in [2048, 8192, 131072] {
                for recompute in ["none", "full"] {
                    let cp = seq >= 32768 ? 8 : 1
                    let a = try run("llama3-8b", topology: topology, devices: devices, seq: seq, recompute: recompute, tp: 2, cp: cp)
                    guard a.step.memory.fits else { continue }
                    let dev = a.experiment.cluster.topology.device
                    let best = max(dev.gemmEfficiency.points.map(\.y).max()!, dev.attentionEfficiency.points.map(\.y).max()!)
                    let label = "\(topology) seq \(seq) \(recompute): MFU \(a.mfu) HFU \(a.hfu), best \(best)"
                    XCTAssertLessThanOrEqual(a.hfu, best, label)
                    XCTAssertLessThanOrEqual(a.mfu, a.hfu + 1e-12, label)
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 80)
    }

    func testRecomputeRaisesHFUNotMFUCount() throws {
        let none = try run("llama3-8b", topology: "h100-ib", devices: 8, seq: 8192, recompute: "none", tp: 1, cp: 1)
        let full = try run("llama3-8b", topology: "h100-ib", devices: 8, seq: 8192, recompute: "full", tp: 1, cp: 1)
        XCTAssertEqual(none.step.modelFLOPsPerToken, full.step.modelFLOPsPerToken)
        XCTAssertEqual(none.step.hardwareFLOPsPerToken, none.step.modelFLOPsPerToken)
        XCTAssertGreaterThan(full.step.hardwareFLOPsPerToken, 1.3 * full.step.modelFLOPsPerToken)
    }

    func testReportNamesItsConventionAndPeak() throws {
        let a = try run("llama3-8b", topology: "h100-ib", devices: 8, seq: 4096, recompute: "none", tp: 1, cp: 1, precision: "fp8")
        guard case let .object(pairs) = a.reportJSON(), let conv = pairs.first(where: { $0.0 == "flopConvention" })?.1,
              case let .object(c) = conv else { return XCTFail("no flopConvention in the report") }
        let keys = c.map(\.0)
        XCTAssertEqual(keys, ["mfu", "hfu", "peak", "peakTFLOPs"])
        guard case let .string(peak) = c[2].1, case let .number(tf) = c[3].1 else { return XCTFail("peak") }
        XCTAssertTrue(peak.contains("bf16") && peak.contains("fp8"), peak)
        XCTAssertEqual(tf, 989)
    }
}

/// MoE parallel folding: EP need not divide DP x CP; the MoE layers' grid spans TP ranks too.
final class ParallelFoldingTests: XCTestCase {
    func testEP32WithTP4On256GPUsIsAPlan() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "microBatchSequences": 1,
          "precision": "bf16", "recompute": "full"},
         "cluster": {"topology": "h800-ib", "devices": 256}, "parallelism": {"tp": 4, "pp": 8, "ep": 32, "zero": 1}}
        """), file: "fold.json", folder: nil)
        XCTAssertEqual(e.parallelism.dp, 8)
        let place = Placement(e.parallelism)
        XCTAssertTrue(place.epSpansTP)
        XCTAssertEqual(place.epGroup.size, 32)
        // EP x expert-DP = TP x CP x DP: every rank of a stage is in one EP group and one expert-DP group.
        XCTAssertEqual(place.epGroup.size * place.expertDPGroup.size, 4 * 8)
        let a = try Analysis.analyze(e)
        XCTAssertGreaterThan(a.step.stepSeconds, 0)
        XCTAssertGreaterThan(a.step.breakdown.ep, 0)
    }

    func testAnEPThatCannotBeLaidIsOneLine() throws {
        XCTAssertThrowsError(try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256},
         "cluster": {"topology": "h800-ib", "devices": 256}, "parallelism": {"tp": 4, "pp": 8, "ep": 64}}
        """), file: "fold.json", folder: nil)) { e in
            XCTAssertTrue("\(e)".contains("parallelism.ep"), "\(e)")
        }
    }
}
