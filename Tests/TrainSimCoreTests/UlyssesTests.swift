import XCTest
@testable import TrainSimCore

/// Ulysses context parallelism: an all-to-all of Q, K and V before attention and one of its output
/// after (in backward, the output's gradient in and those of Q, K and V back), each waited for by
/// the kernel, so every byte of them is exposed; the rest of the step is ring attention's.
final class UlyssesTests: XCTestCase {
    func experiment(cp: Int, algorithm: String, tp: Int = 1, devices: Int? = nil, model: String = "llama3-8b",
                    recompute: String = "none", seq: Int = 32768) throws -> Experiment {
        try ContextParallelPlans.experiment(cp: cp, algorithm: algorithm, tp: tp, devices: devices, model: model, recompute: recompute, seq: seq)
    }

    func testEveryAllToAllIsExposedAndCountedOncePerLayerEachWay() throws {
        for (cp, tp) in [(2, 1), (4, 2), (8, 1)] {
            let e = try experiment(cp: cp, algorithm: "ulysses", tp: tp)
            let r = try Engine.simulateStep(e)
            let cpOps = r.collectives.filter { $0.label == "cp" }
            XCTAssertEqual(Set(cpOps.map(\.kind)), [.allToAll], "Ulysses exchanges by all-to-all only")
            // One micro-batch, no recompute: per layer two all-to-alls forward and two backward,
            // Q, K, V one way and the output the other.
            let layers = Double(e.model.layers)
            XCTAssertEqual(cpOps.reduce(0) { $0 + $1.callsPerStep }, 4 * layers, "cp \(cp) tp \(tp)")
            // The kernel waits for each: what they cost alone is what the step waits.
            let alone = cpOps.reduce(0) { $0 + $1.callsPerStep * $1.cost.seconds }
            XCTAssertEqual(r.breakdown.cp, alone, accuracy: 1e-9 * r.stepSeconds)
            // Q, K and V (K and V heads repeated up to one per CP rank) against the output.
            let m = e.model, t = Double(tp), c = Double(cp)
            let tokens = Double(e.training.sequenceLength) / c
            let qkv = tokens * (Double(m.heads) / t + 2 * max(Double(m.kvHeads) / t, c)) * Double(m.headDim) * 2
            let out = tokens * Double(m.heads) / t * Double(m.headDim) * 2
            XCTAssertEqual(Set(cpOps.map(\.bytes)), [qkv, out])
        }
    }

    func testComputeIsRingAttentionsAndOnlyTheExchangeDiffers() throws {
        let ring = try Engine.simulateStep(try experiment(cp: 4, algorithm: "ring"))
        let ulysses = try Engine.simulateStep(try experiment(cp: 4, algorithm: "ulysses"))
        XCTAssertEqual(ulysses.breakdown.compute, ring.breakdown.compute, accuracy: 1e-9 * ring.stepSeconds)
        XCTAssertEqual(ulysses.modelFLOPsPerToken, ring.modelFLOPsPerToken)
        XCTAssertEqual(ulysses.memory.peakGiB, ring.memory.peakGiB, accuracy: 1e-9)
        // At 32K tokens ring attention hides its K/V passes under the kernel; Ulysses waits for its
        // all-to-alls, so it is slower here, and both are slower than no exchange at all.
        XCTAssertGreaterThan(ulysses.breakdown.cp, ring.breakdown.cp)
        XCTAssertEqual(ulysses.stepSeconds, ulysses.breakdown.total, accuracy: 1e-9 * ulysses.stepSeconds)
        // cp 1: the algorithm changes nothing.
        let one = try Engine.simulateStep(try experiment(cp: 1, algorithm: "ulysses", devices: 4))
        let oneRing = try Engine.simulateStep(try experiment(cp: 1, algorithm: "ring", devices: 4))
        XCTAssertEqual(one.stepSeconds, oneRing.stepSeconds)
    }

    func testRecomputeRepeatsTheForwardExchange() throws {
        let none = try Engine.simulateStep(try experiment(cp: 2, algorithm: "ulysses"))
        let full = try Engine.simulateStep(try experiment(cp: 2, algorithm: "ulysses", recompute: "full"))
        let calls = { (r: StepResult) in r.collectives.filter { $0.label == "cp" }.reduce(0) { $0 + $1.callsPerStep } }
        XCTAssertEqual(calls(full), calls(none) * 6 / 4, "a recomputed forward exchanges Q, K, V and the output again")
    }

    func testHeadsThatDoNotSplitAreOneLine() throws {
        // 32 heads over tp 4 leave 8 per rank: cp 16 cannot split them.
        XCTAssertThrowsError(try experiment(cp: 16, algorithm: "ulysses", tp: 4)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("parallelism.cpAlgorithm") && text.contains("does not divide"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertThrowsError(try experiment(cp: 2, algorithm: "all-gather")) { error in
            XCTAssertTrue("\(error)".contains("cpAlgorithm"), "\(error)")
        }
    }

    func testLaunchArgumentsCarryTheAlgorithmBothWays() throws {
        let e = try experiment(cp: 4, algorithm: "ulysses", tp: 2, devices: 16)
        let megatron = LaunchArguments.render(e, flavour: .megatron)
        XCTAssertTrue(megatron.contains("--cp-comm-type a2a"), megatron)
        let mindspeed = LaunchArguments.render(e, flavour: .mindspeed)
        XCTAssertTrue(mindspeed.contains("--context-parallel-algo ulysses_cp_algo"), mindspeed)
        let ring = LaunchArguments.render(try experiment(cp: 4, algorithm: "ring", tp: 2, devices: 16), flavour: .megatron)
        XCTAssertFalse(ring.contains("--cp-comm-type"), ring)
    }
}
