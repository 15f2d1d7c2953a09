import Foundation
import XCTest
@testable import TrainSimCore

/// Failures, restarts and wall time agree: every failure, during work or during a restart, is
/// counted, so expected failures = failure rate x the wall time they can strike in (the renewal
/// identity), and a run whose goodput collapses says why.
final class FailureAccountingTests: XCTestCase {
    func model(devices: Int, restart: Double, interval: Double = 600, duringRestart: Bool = true) -> FailureModel {
        FailureModel(devices: devices, nodes: devices / 8, deviceMTBFHours: 100_000, nodeMTBFHours: 12_000,
                     restartSeconds: restart, failuresDuringRestart: duringRestart, workSeconds: 20 * 86400,
                     intervalSeconds: interval, checkpointSeconds: 30)
    }

    func testExpectedFailuresAreTheRateTimesTheExposedWallTime() {
        for devices in [1_024, 16_384, 131_072] {
            for restart in [0.0, 900, 7200] {
                for during in [true, false] {
                    let m = model(devices: devices, restart: restart, duringRestart: during)
                    let label = "\(devices) devices, restart \(restart) s, during restarts \(during)"
                    XCTAssertEqual(m.expectedFailures, m.rate * m.exposedSeconds, accuracy: 1e-9 * m.expectedFailures + 1e-12, label)
                    XCTAssertEqual(m.exposedSeconds, during ? m.expectedSeconds : m.expectedSeconds - m.restartSecondsTotal,
                                   accuracy: 1e-9 * m.expectedSeconds, label)
                    XCTAssertEqual(m.expectedFailures, m.failuresDuringWork + m.failuresDuringRestarts, accuracy: 1e-9 * m.expectedFailures, label)
                    // Each failure during work starts one restart phase; the time adds up.
                    XCTAssertEqual(m.restartSecondsTotal, m.failuresDuringWork * m.expectedRestartPhase, accuracy: 1e-9 * m.restartSecondsTotal + 1e-12, label)
                    XCTAssertEqual(m.workSeconds + m.checkpointSecondsTotal + m.lostSecondsTotal + m.restartSecondsTotal, m.expectedSeconds,
                                   accuracy: 1e-9 * m.expectedSeconds, label)
                    if !during || restart == 0 { XCTAssertEqual(m.failuresDuringRestarts, 0, label) }
                }
            }
        }
    }

    func testTheMonteCarloCountsTheSameFailures() {
        // Draw failure times over the run and count every failure, during work and during restarts.
        let m = model(devices: 65_536, restart: 1800, interval: 3 * 3600)
        XCTAssertEqual(m.lastSegmentWork, 0)
        var rng = SplitMix64(state: 11)
        var total = 0.0
        let trials = 500
        for _ in 0..<trials {
            for _ in 0..<m.fullSegments {
                // Attempts of the segment fail until one outlasts it; each failure starts a restart,
                // which failures may interrupt in turn.
                while rng.exponential(rate: m.rate) < m.segmentSeconds {
                    total += 1
                    while rng.exponential(rate: m.rate) < m.restartSeconds { total += 1 }
                }
            }
        }
        let mean = total / Double(trials)
        XCTAssertEqual(mean, m.expectedFailures, accuracy: 0.03 * m.expectedFailures)
        XCTAssertGreaterThan(m.failuresDuringRestarts, 0.1 * m.failuresDuringWork)
    }

    func experiment(_ reliability: String) throws -> Experiment {
        let text = """
        {"name": "t", "model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 2048},
         "cluster": {"topology": "h100-ib", "devices": 16384}, "parallelism": {"tp": 8}, "reliability": {\(reliability)}}
        """
        return try Experiment.decode(try JSONParser.parse(Data(text.utf8)), file: "t.json", folder: nil)
    }

    func testTheReportStatesTheIdentityAndACollapsingRunSaysWhy() throws {
        // Shipped figures: goodput well above the floor, no collapse.
        let healthy = try WholeRun.wholeRun(for: try Analysis.analyze(try experiment(#""restartMinutes": 15"#)))
        XCTAssertNil(healthy.collapseReason)
        // Unreliable devices and slow restarts: the job fails every ~0.3 h and a restart takes 2 h.
        let bad = try WholeRun.wholeRun(for: try Analysis.analyze(try experiment(#""deviceMTBFHours": 5000, "restartMinutes": 120"#)))
        let f = bad.failures
        guard case let .object(section) = bad.section, case let .object(failures)? = section.first(where: { $0.0 == "failures" })?.1 else {
            return XCTFail("no failures section")
        }
        func num(_ k: String) -> Double { if case let .number(x)? = failures.first(where: { $0.0 == k })?.1 { return x }; return .nan }
        XCTAssertEqual(num("expected"), num("perDay") / 24 * num("exposedHours"), accuracy: 1e-4 * num("expected"))
        XCTAssertEqual(num("expected"), num("duringWork") + num("duringRestarts"), accuracy: 1e-4 * num("expected"))
        XCTAssertEqual(f.expectedFailures, f.rate * bad.expectedSeconds, accuracy: 1e-9 * f.expectedFailures)
        XCTAssertLessThan(bad.goodput, 0.1)
        let why = try XCTUnwrap(bad.collapseReason)
        XCTAssertTrue(why.contains("below 10 %") && why.contains("collapses"), why)
        XCTAssertTrue(why.contains("shorter than a restart"), why)
        // The floor is the experiment's to move.
        let lenient = try WholeRun.wholeRun(for: try Analysis.analyze(try experiment(#""deviceMTBFHours": 5000, "restartMinutes": 120, "minimumGoodput": 0.000001"#)))
        XCTAssertNil(lenient.collapseReason)
    }
}
