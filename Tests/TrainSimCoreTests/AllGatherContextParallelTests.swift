import XCTest
@testable import TrainSimCore

/// All-gather context parallelism (Llama 3 herd paper, sec. 3.3.2; Transformer Engine's
/// `AttnFuncWithCPAndKVAllGather`, Megatron-Core `--cp-comm-type all_gather`): K and V are
/// gathered from every CP rank before the attention kernel, gathered again before its backward
/// (only the rank's own block is kept), and their gradients reduce-scattered after it. Each is
/// waited for, so all of it is exposed; the compute is ring attention's.
final class AllGatherContextParallelTests: XCTestCase {
    func experiment(cp: Int, algorithm: String = "allgather", tp: Int = 1, devices: Int? = nil, recompute: String = "none") throws -> Experiment {
        try ContextParallelPlans.experiment(cp: cp, algorithm: algorithm, tp: tp, devices: devices, recompute: recompute)
    }

    /// One micro-batch, no recompute: per layer a gather forward, a gather and a reduce-scatter
    /// backward, of the K and V of all CP ranks (K and V heads split over TP); the step waits
    /// for every one of them as long as it takes alone.
    func testGathersAreExposedAndCountedPerLayer() throws {
        for (cp, tp) in [(2, 1), (4, 2), (8, 1), (16, 1)] {
            let e = try experiment(cp: cp, tp: tp, devices: cp * tp)
            let r = try Engine.simulateStep(e)
            let cpOps = r.collectives.filter { $0.label == "cp" }
            XCTAssertEqual(Set(cpOps.map(\.kind)), [.allGather, .reduceScatter], "cp \(cp) tp \(tp)")
            let layers = Double(e.model.layers)
            XCTAssertEqual(cpOps.filter { $0.kind == .allGather }.reduce(0) { $0 + $1.callsPerStep }, 2 * layers)
            XCTAssertEqual(cpOps.filter { $0.kind == .reduceScatter }.reduce(0) { $0 + $1.callsPerStep }, layers)
            let alone = cpOps.reduce(0) { $0 + $1.callsPerStep * $1.cost.seconds }
            if cp * tp <= 8 {
                XCTAssertEqual(r.breakdown.cp, alone, accuracy: 1e-9 * r.stepSeconds, "cp \(cp) tp \(tp)")
            } else {
                // Across two nodes the gradients' reduction over the 16 CP ranks shares the network with them.
                XCTAssertGreaterThanOrEqual(r.breakdown.cp, alone * (1 - 1e-9), "cp \(cp) tp \(tp)")
            }
            let m = e.model, tokens = Double(e.training.sequenceLength) / Double(cp)
            let kvWidth = 2 * Double(m.kvHeads * m.headDim) / Double(min(tp, m.kvHeads))
            XCTAssertEqual(Set(cpOps.map(\.bytes)), [Double(cp) * tokens * kvWidth * 2])
            XCTAssertEqual(r.stepSeconds, r.breakdown.total, accuracy: 1e-9 * r.stepSeconds)
        }
    }

    func testComputeIsRingAttentionsAndOnlyTheExchangeDiffers() throws {
        let ring = try Engine.simulateStep(try experiment(cp: 4, algorithm: "ring"))
        let gathered = try Engine.simulateStep(try experiment(cp: 4))
        XCTAssertEqual(gathered.breakdown.compute, ring.breakdown.compute, accuracy: 1e-9 * ring.stepSeconds)
        XCTAssertEqual(gathered.modelFLOPsPerToken, ring.modelFLOPsPerToken)
        // At 32K tokens ring attention hides its K/V passes under the kernel; the gathers are waited for.
        XCTAssertGreaterThan(gathered.breakdown.cp, ring.breakdown.cp)
        let one = try Engine.simulateStep(try experiment(cp: 1, devices: 4))
        XCTAssertEqual(one.stepSeconds, try Engine.simulateStep(try experiment(cp: 1, algorithm: "ring", devices: 4)).stepSeconds)
    }

    func testFullRecomputeGathersAgain() throws {
        let calls = { (r: StepResult) in r.collectives.filter { $0.label == "cp" }.reduce(0) { $0 + $1.callsPerStep } }
        let none = try Engine.simulateStep(try experiment(cp: 2))
        let full = try Engine.simulateStep(try experiment(cp: 2, recompute: "full"))
        XCTAssertEqual(calls(full), calls(none) * 4 / 3, "a recomputed forward gathers K and V again")
    }

    func testLaunchArgumentsCarryTheAlgorithmBothWays() throws {
        let e = try experiment(cp: 4, tp: 2, devices: 16)
        for flavour in [LaunchFlavour.megatron, .mindspeed] {
            let text = LaunchArguments.render(e, flavour: flavour)
            XCTAssertTrue(text.contains("--cp-comm-type all_gather"), text)
            // Read back: MegatronImportTests.testContextParallelAlgorithmBothWays.
        }
    }
}
