import XCTest
@testable import TrainSimCore

/// MFU never exceeds HFU, and HFU never exceeds the device's best GEMM efficiency, on random bf16 plans
/// (the draw of `RandomPlanPropertyTests`; stop 29: the highest HFU was 0.94 of the best GEMM
/// efficiency, Llama 3 70B on 64 A100 with full recompute).
final class UtilisationPropertyTests: XCTestCase {
    func testMFUBelowHFUBelowTheBestGEMMEfficiencyOnRandomPlans() throws {
        typealias T = RandomPlanPropertyTests
        var checked = 0
        for e in T.plans(400, seed: 123) {
            let a = try Analysis.analyze(e)
            let best = a.experiment.cluster.topology.device.gemmEfficiency.points.map(\.y).max()!
            XCTAssertLessThanOrEqual(a.mfu, a.hfu * (1 + 1e-9), T.describe(e))
            XCTAssertLessThanOrEqual(a.hfu, best * (1 + 1e-9), T.describe(e))
            checked += 1
        }
        XCTAssertEqual(checked, 400)
    }
}
