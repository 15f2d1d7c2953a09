import XCTest
@testable import TrainSimCore

/// A library caller may change an experiment after decoding it; the engine checks the plan again,
/// so a plan that cannot run is a one-line error, never a trap inside the simulation.
final class EngineValidationTests: XCTestCase {
    func experiment(schedule: String = "dualpipe") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "microBatchSequences": 1},
         "cluster": {"topology": "h800-ib", "devices": 256}, "parallelism": {"tp": 1, "pp": 4, "ep": 8, "schedule": "\(schedule)"}}
        """), file: "test.json", folder: nil)
    }

    func message(_ e: Experiment) -> String? {
        do { _ = try Engine(e); return nil } catch { return "\(error)" }
    }

    func testPlansChangedAfterDecodingAreOneLineErrors() throws {
        let valid = try experiment()
        XCTAssertNil(message(valid))
        var cases: [(Experiment, String)] = []
        var odd = valid
        odd.training.globalBatchSequences = 576  // 9 micro-batches a pipeline: DualPipe needs an even count
        cases.append((odd, "even number of micro-batches"))
        var heads = valid
        heads.parallelism.tp = 3
        heads.parallelism.dp = 0
        cases.append((heads, "does not divide"))
        var vpp = try experiment(schedule: "1f1b")
        vpp.parallelism.vpp = 2
        cases.append((vpp, "vpp = 2 needs schedule"))
        var devices = valid
        devices.cluster.devices = 200
        cases.append((devices, "parallelism"))
        for (e, expected) in cases {
            guard let m = message(e) else { XCTFail("accepted: \(expected)"); continue }
            XCTAssertTrue(m.contains(expected), m)
            XCTAssertFalse(m.contains("\n"), m)
        }
    }

    func testACheckedPlanGivesTheSameStep() throws {
        let e = try experiment()
        XCTAssertEqual(try Engine(e).step().stepSeconds, Engine(e, cluster: try Cluster(spec: e.cluster.topology, devices: 256),
                                                                 network: try Engine(e).network).step().stepSeconds)
    }
}
