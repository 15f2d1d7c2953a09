import XCTest
@testable import TrainSimCore

/// Expert tensor parallelism (`parallelism.etp`, Megatron-Core's --expert-tensor-parallel-size):
/// 1 keeps each routed expert whole and lets EP fold over the TP ranks; tp splits every expert
/// over the TP ranks, which then gather the routed tokens of their group around the experts.
final class ExpertTensorParallelTests: XCTestCase {
    /// Qwen3-30B-A3B (128 experts, top-8, no shared expert) on 64 H800, TP 2, EP 8.
    func experiment(etp: Int?, shared: Int = 0, ep: Int = 8, tp: Int = 2, model: String? = nil, stack: String = "megatron-core") throws -> Experiment {
        let m = model ?? """
            {"preset": "qwen3-30b-a3b", "moe": {"sharedExperts": \(shared)}}
            """
        let etpKey = etp.map { ", \"etp\": \($0)" } ?? ""
        return try Experiment.decode(try JSONParser.parse("""
        {"model": \(m),
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 128, "precision": "bf16", "recompute": "none", "framework": "\(stack)"},
         "cluster": {"topology": "h800-ib", "devices": 64},
         "parallelism": {"tp": \(tp), "pp": 2, "ep": \(ep)\(etpKey)}}
        """), file: "etp.json", folder: nil)
    }

    func tpCalls(_ r: StepResult, _ kind: CollectiveKind) -> (calls: Double, bytes: Set<Double>) {
        let recs = r.collectives.filter { $0.label == "tp" && $0.kind == kind }
        return (recs.reduce(0) { $0 + $1.callsPerStep }, Set(recs.map(\.bytes)))
    }

    /// The default: split over TP without EP; with EP, the stack's (Megatron-Core: split, as
    /// Megatron-LM's --expert-tensor-parallel-size defaults to the TP size; FSDP2: whole).
    func testDefaultIsTheStacks() throws {
        XCTAssertEqual(try experiment(etp: nil).parallelism.etp, 2)
        XCTAssertEqual(try experiment(etp: nil, stack: "pytorch-fsdp").parallelism.etp, 1)
        XCTAssertEqual(try experiment(etp: nil, ep: 1, stack: "pytorch-fsdp").parallelism.etp, 2)
        XCTAssertEqual(try experiment(etp: 1).parallelism.etp, 1)
        XCTAssertEqual(try experiment(etp: 2, stack: "pytorch-fsdp").parallelism.etp, 2)
        // EP 32 needs the TP ranks (dp is 16): a run with it kept its experts whole (parallel
        // folding), whatever the stack's default; split experts cannot lay it.
        XCTAssertEqual(try experiment(etp: nil, ep: 32).parallelism.etp, 1)
        XCTAssertTrue(Placement(try experiment(etp: nil, ep: 32).parallelism).epSpansTP)
        XCTAssertThrowsError(try experiment(etp: 2, ep: 32))
    }

    /// Whole experts and no shared expert: the MoE block issues no TP collective (its tokens stay
    /// sequence-sharded and the all-to-all moves them); a shared expert (a TP-split MLP) brings
    /// back its gather and scatter; split experts add the gather and scatter of the routed tokens,
    /// top-k times a hidden state each.
    func testMoEBlockTPCollectives() throws {
        let whole = try Engine.simulateStep(try experiment(etp: 1))
        let shared = try Engine.simulateStep(try experiment(etp: 1, shared: 1))
        let split = try Engine.simulateStep(try experiment(etp: 2))
        let (w, s, x) = (tpCalls(whole, .allGather), tpCalls(shared, .allGather), tpCalls(split, .allGather))
        // Per layer forward: attention's gather; + the shared expert's; split: + the routed gather.
        XCTAssertGreaterThan(s.calls, w.calls)
        XCTAssertGreaterThan(x.calls, w.calls)
        XCTAssertEqual(w.bytes.count, 1)
        let hidden = try XCTUnwrap(w.bytes.first)
        let imbalance = try experiment(etp: 2).model.moe!.imbalance
        XCTAssertEqual(x.bytes, [hidden, hidden * 8 * imbalance], "the routed gather moves top-k (8) hidden states per token, the busiest rank's share")
        // The routed gather follows the dispatch (it gathers what the all-to-all brought): waited on.
        XCTAssertGreaterThan(split.breakdown.tp, whole.breakdown.tp)
        XCTAssertGreaterThan(split.stepSeconds, whole.stepSeconds)
    }

    /// Split experts: each device holds half of its experts' weights (TP 2), and the expert
    /// gradients are reduced over fewer ranks (the TP ranks hold different slices).
    func testSplitExpertsHalveTheExpertWeights() throws {
        let e1 = try experiment(etp: 1), e2 = try experiment(etp: 2)
        let p = ParameterCount(e1.model)
        let whole = p.perDevice(tp: 2, ep: 8, etp: e1.parallelism.etp), split = p.perDevice(tp: 2, ep: 8, etp: e2.parallelism.etp)
        XCTAssertEqual(split.moeExpert * 2, whole.moeExpert, accuracy: 1e-6)
        XCTAssertEqual(split.moeDense, whole.moeDense)
        XCTAssertEqual(Placement(e2.parallelism).expertDPGroup.size * 2, Placement(e1.parallelism).expertDPGroup.size)
        let m1 = try Engine.simulateStep(e1).memory, m2 = try Engine.simulateStep(e2).memory
        XCTAssertLessThan(m2.weightsGiB, m1.weightsGiB)
    }

    func testBadValuesAreOneLineErrors() {
        let cases: [(() throws -> Experiment, String)] = [
            ({ try self.experiment(etp: 4) }, "parallelism.etp"),
            ({ try self.experiment(etp: 2, ep: 1, model: "\"llama3-8b\"") }, "parallelism.etp"),
            // EP 32 must span the TP ranks (dp is 16), which split experts cannot.
            ({ try self.experiment(etp: 2, ep: 32, tp: 2) }, "parallelism.ep"),
        ]
        for (make, key) in cases {
            XCTAssertThrowsError(try make(), key) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(key), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }
}
