import Foundation
import TrainSimCore
import XCTest
@testable import TrainSimMPI

/// Sharing Monte Carlo trials: any split of the indices gives the serial outcomes, bit for bit.
/// (The split over real MPI ranks is tested end to end in CLITests.)
final class MonteCarloMPITests: XCTestCase {
    func testOutcomesSurviveTheWireBitForBit() {
        let outcomes = [TrialOutcome(days: 1.0 / 3, cost: 1e300), TrialOutcome(days: .leastNonzeroMagnitude, cost: -0.0),
                        TrialOutcome(days: 54.123456789012345, cost: 157_066_096.25)]
        let back = MonteCarloMPI.decode(MonteCarloMPI.encode(outcomes))
        XCTAssertEqual(back.map(\.days.bitPattern), outcomes.map(\.days.bitPattern))
        XCTAssertEqual(back.map(\.cost.bitPattern), outcomes.map(\.cost.bitPattern))
        XCTAssertEqual(MonteCarloMPI.decode(Data()), [])
    }

    func testThreadedBlocksGiveTheSerialOutcomes() {
        let model = MonteCarloBench.referenceModel
        let trial: @Sendable (Int) -> TrialOutcome = { i in
            TrialOutcome(days: MonteCarlo.trialSeconds(model, seed: 5, index: i) / 86400, cost: Double(i))
        }
        let serial = MonteCarlo.serial(37, trial)
        for workers in [1, 2, 3, 8, 64] {
            XCTAssertEqual(MonteCarloBench.threadedRunner(workers: workers)(37, trial), serial, "\(workers) workers")
        }
        XCTAssertEqual(MonteCarloBench.threadedRunner(workers: 2)(0, trial), [])
    }

    func testBenchReportsTrialsPerSecondAndSpeedup() {
        let text = MonteCarloBench.run(trials: 200, workers: 2)
        XCTAssertTrue(text.contains("trials/s"), text)
        XCTAssertTrue(text.contains("speedup"), text)
        XCTAssertTrue(text.contains("identical outcomes: yes"), text)
    }
}
