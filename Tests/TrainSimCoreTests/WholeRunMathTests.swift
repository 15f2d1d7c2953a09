import Foundation
import XCTest
@testable import TrainSimCore

/// The whole run's mathematics: the Young/Daly optimum, goodput against scale, and the Monte
/// Carlo trials against the analytic expectation.
final class WholeRunMathTests: XCTestCase {
    /// Golden-section minimum of a unimodal function on [a, b].
    func argmin(_ f: (Double) -> Double, _ a0: Double, _ b0: Double) -> Double {
        var a = a0, b = b0
        let g = (5.0.squareRoot() - 1) / 2
        var c = b - g * (b - a), d = a + g * (b - a)
        for _ in 0..<200 {
            if f(c) < f(d) { b = d } else { a = c }
            c = b - g * (b - a); d = a + g * (b - a)
        }
        return (a + b) / 2
    }

    func model(devices: Int = 16_384, work: Double = 10 * 86400, interval: Double = 600, checkpoint: Double = 30,
               restart: Double = 900, duringRestart: Bool = true) -> FailureModel {
        FailureModel(devices: devices, nodes: devices / 8, deviceMTBFHours: 100_000, nodeMTBFHours: 12_000,
                     restartSeconds: restart, failuresDuringRestart: duringRestart, workSeconds: work,
                     intervalSeconds: interval, checkpointSeconds: checkpoint)
    }

    func testYoungIntervalIsTheClosedFormOptimumOfFirstOrderWaste() {
        for (c, m) in [(30.0, 3.0 * 3600), (2.8, 10_800), (300, 86_400), (5, 1_000_000)] {
            let young = CheckpointPlan.young(checkpointSeconds: c, mtbfSeconds: m)
            XCTAssertEqual(young, (2 * c * m).squareRoot(), accuracy: 1e-9 * young)
            // First-order waste per unit of time: checkpoints C/tau plus half an interval lost per failure, tau/(2M).
            let best = argmin({ c / $0 + $0 / (2 * m) }, c / 100, 100 * m)
            XCTAssertEqual(best, young, accuracy: 1e-6 * young)
        }
    }

    func testDalyIntervalIsCloserToTheExactOptimumThanYoung() {
        for (c, mtbfHours) in [(30.0, 3.0), (300.0, 3.0), (600.0, 1.0), (5.0, 24.0)] {
            var m = model(interval: 1, checkpoint: c, restart: 0)
            let mtbf = mtbfHours * 3600
            m.deviceMTBFHours = 1e9
            m.nodeMTBFHours = Double(m.nodes) / (1 / mtbfHours - Double(m.devices) / 1e9)
            XCTAssertEqual(m.jobMTBFHours * 3600, mtbf, accuracy: 1e-6 * mtbf)
            // Exact expected wall time per second of work for segments of tau work + C checkpoint.
            let cost: (Double) -> Double = { tau in m.expectedSegment(tau + c) / tau }
            let exact = argmin(cost, c / 10, 5 * mtbf)
            let young = CheckpointPlan.young(checkpointSeconds: c, mtbfSeconds: mtbf)
            let daly = CheckpointPlan.daly(checkpointSeconds: c, mtbfSeconds: mtbf)
            XCTAssertLessThan(abs(daly - exact) / exact, 0.01, "C \(c) s, M \(mtbfHours) h: Daly \(daly), exact \(exact)")
            XCTAssertLessThanOrEqual(abs(daly - exact), abs(young - exact) + 1e-6 * exact)
            // Near the optimum the waste is flat: Young's interval costs almost nothing extra.
            XCTAssertLessThan(cost(young) / cost(exact) - 1, 0.01)
        }
        XCTAssertEqual(CheckpointPlan.daly(checkpointSeconds: 100, mtbfSeconds: 40), 40)
    }

    func testGoodputFallsAsTheClusterGrowsAtAFixedPerDeviceFailureRate() {
        var last = 1.0
        for devices in [512, 2_048, 8_192, 16_384, 65_536, 131_072] {
            var m = model(devices: devices)
            m.intervalSeconds = CheckpointPlan.young(checkpointSeconds: m.checkpointSeconds, mtbfSeconds: m.jobMTBFHours * 3600)
            XCTAssertLessThan(m.goodput, last, "\(devices) devices")
            XCTAssertGreaterThan(m.goodput, 0)
            last = m.goodput
        }
        // Llama 3 scale: one failure every ~3 h, goodput near the reported "> 90 % effective training time".
        let llama = model(devices: 16_384)
        XCTAssertEqual(llama.jobMTBFHours, 2.99, accuracy: 0.01)
    }

    func testExpectedTimeSplitsIntoWorkCheckpointsRestartsAndLostWork() {
        for during in [true, false] {
            let m = model(work: 3 * 86400 + 123, duringRestart: during)
            XCTAssertEqual(m.workSeconds + m.checkpointSecondsTotal + m.restartSecondsTotal + m.lostSecondsTotal, m.expectedSeconds,
                           accuracy: 1e-9 * m.expectedSeconds)
            XCTAssertGreaterThan(m.lostSecondsTotal, 0)
            XCTAssertEqual(m.checkpointSecondsTotal, Double(m.fullSegments + 1) * m.checkpointSeconds, accuracy: 1e-9)
        }
    }

    func testMonteCarloMeanConvergesToTheAnalyticExpectation() {
        // Many failures per run, a run shorter than one segment, few long segments, restarts hit by failures.
        let cases = [
            model(work: 5 * 86400),
            model(work: 5 * 86400, duringRestart: false),
            model(work: 300, interval: 600),
            model(devices: 65_536, work: 2 * 86400, interval: 3 * 3600, checkpoint: 120, restart: 1800),
        ]
        for (k, m) in cases.enumerated() {
            let n = 4000
            let secs = (0..<n).map { MonteCarlo.trialSeconds(m, seed: 42, index: $0) }
            let mean = secs.reduce(0, +) / Double(n)
            let sd = (secs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
            let se = sd / Double(n).squareRoot()
            XCTAssertLessThan(abs(mean - m.expectedSeconds), 4 * se + 1e-9 * m.expectedSeconds,
                              "case \(k): mean \(mean), analytic \(m.expectedSeconds), standard error \(se)")
            XCTAssertGreaterThanOrEqual(secs.min()!, m.workSeconds + m.checkpointSecondsTotal - 1e-6)
        }
    }

    func testTrialsAreSeededByIndexNotByOrder() {
        let m = model(work: 86400)
        let forward = (0..<50).map { MonteCarlo.trialSeconds(m, seed: 7, index: $0) }
        let backward = (0..<50).reversed().map { MonteCarlo.trialSeconds(m, seed: 7, index: $0) }.reversed()
        XCTAssertEqual(forward, Array(backward))
        XCTAssertNotEqual(forward[0], forward[1])
        XCTAssertNotEqual(MonteCarlo.trialSeconds(m, seed: 8, index: 0), forward[0])
    }

    func testPercentilesInterpolateBetweenOrderStatistics() {
        let v = (1...101).map(Double.init)
        XCTAssertEqual(MonteCarlo.percentile(v, 0.5), 51)
        XCTAssertEqual(MonteCarlo.percentile(v, 0.9), 91)
        XCTAssertEqual(MonteCarlo.percentile(v, 0.99), 100)
        XCTAssertEqual(MonteCarlo.percentile([1, 2], 0.5), 1.5)
        XCTAssertEqual(MonteCarlo.percentile([3], 0.99), 3)
        let s = MonteCarlo.summarize((0..<10).map { TrialOutcome(days: Double($0), cost: 2 * Double($0)) }, seed: 1)
        XCTAssertEqual(s.meanDays, 4.5)
        XCTAssertEqual(s.p50Cost, 9)
    }
}
