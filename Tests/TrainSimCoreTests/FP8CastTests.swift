import XCTest
@testable import TrainSimCore

/// fp8 runs cast each GEMM's activation input to fp8 before its forward and its output's gradient
/// before its backward (Transformer Engine's cast-transpose; the stack's `fp8CastBytes`), at the
/// device's memory-bound bandwidth. The cost is T x (k + n) against the GEMM's T x k x n, so it
/// weighs more on small hidden sizes (the Megatron-Bridge performance guide, "Low Precision
/// Training": fp8's gain is lower at small hidden sizes).
final class FP8CastTests: XCTestCase {
    func experiment(model: String = "llama3-8b", precision: String = "fp8", topology: String = "h100-ib",
                    framework: String = "\"nemo\"") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "\(model)",
         "training": {"tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 64, "precision": "\(precision)",
                      "recompute": "none", "framework": \(framework)},
         "cluster": {"topology": "\(topology)", "devices": 8}, "parallelism": {"tp": 1, "zero": 1}}
        """), file: "c.json", folder: nil)
    }

    func layer(_ e: Experiment) -> (work: LayerWork, time: LayerTime, compute: ComputeModel) {
        let c = ComputeModel(experiment: e)
        let wb = WorkloadBuilder(model: e.model, tp: 1, cp: 1, ep: 1, sequenceParallel: false, seq: e.training.sequenceLength,
                                 microBatch: 1, elementwisePasses: c.device.elementwisePasses)
        let w = wb.denseLayer()
        return (w, c.forwardSeconds(w, attentionCalls: 1), c)
    }

    /// The closed form: 4 bytes per input element forward, per output element backward, at the
    /// device's memory-bound rate; the GEMMs themselves are timed as without the casts.
    func testCastsAreTheirBytesAtMemoryBandwidth() throws {
        let (w, t, c) = layer(try experiment())
        XCTAssertEqual(c.fp8CastBytes, 4)
        let T = 8192.0, m = try experiment().model
        let h = Double(m.hidden), f = Double(m.ffnHidden), q = Double(m.heads * m.headDim), kv = Double(m.kvHeads * m.headDim)
        // QKV, the output projection, FC1 (gated: two matrices) and FC2.
        let inputs = T * (h + q + h + f), outputs = T * ((q + 2 * kv) + h + 2 * f + h)
        XCTAssertEqual(w.gemms.reduce(0) { $0 + $1.inputElements }, inputs)
        XCTAssertEqual(w.gemms.reduce(0) { $0 + $1.outputElements }, outputs)
        let rate = c.device.hbmGBps * 1e9 * c.device.memoryBoundEfficiency * c.speedShare
        XCTAssertEqual(t.castForward, 4 * inputs / rate, accuracy: 1e-15)
        XCTAssertEqual(t.castBackward, 4 * outputs / rate, accuracy: 1e-15)
        var free = try experiment(framework: "{\"stack\": \"nemo\", \"fp8CastBytes\": 0}")
        let bare = layer(free).time
        XCTAssertEqual(bare.castForward, 0)
        XCTAssertEqual(t.forward - bare.forward, t.castForward, accuracy: 1e-12)
        XCTAssertEqual(t.backward - bare.backward, t.castBackward, accuracy: 1e-12)
        // bf16 casts nothing, and neither does fp8 on a device without an fp8 peak.
        free = try experiment(precision: "bf16")
        XCTAssertEqual(layer(free).time.castForward + layer(free).time.castBackward, 0)
        free = try experiment(topology: "ascend-910b-a2", framework: "\"mindspeed\"")
        XCTAssertEqual(layer(free).time.castForward + layer(free).time.castBackward, 0)
    }

    /// The output layer and the MoE router's gate are not fp8 linears: in an fp8 run they take as
    /// long as in a bf16 one, and cast nothing.
    func testOutputLayerAndGateStayInBF16() throws {
        let fp8 = try experiment(model: "deepseek-v3"), bf16 = try experiment(model: "deepseek-v3", precision: "bf16")
        func parts(_ e: Experiment) -> (head: LayerTime, gate: Double, expert: Double) {
            let c = ComputeModel(experiment: e)
            let wb = WorkloadBuilder(model: e.model, tp: 1, cp: 1, ep: 8, sequenceParallel: false, seq: 8192, microBatch: 1,
                                     elementwisePasses: c.device.elementwisePasses)
            var router = LayerWork(), experts = LayerWork()
            wb.moeRouter(into: &router)
            wb.moeExperts(into: &experts)
            return (c.forwardSeconds(wb.outputLayer(), attentionCalls: 1), c.gemmSeconds(router.gemms[0]), c.gemmSeconds(experts.gemms[0]))
        }
        let a = parts(fp8), b = parts(bf16)
        XCTAssertEqual(a.head.gemm, b.head.gemm, accuracy: 1e-15)
        XCTAssertEqual(a.head.castForward + a.head.castBackward, 0)
        XCTAssertEqual(a.gate, b.gate, accuracy: 1e-15)
        XCTAssertLessThan(a.expert, 0.7 * b.expert)
    }

    /// The casts' share of the GEMM time falls as the hidden size grows (T(k + n) against Tkn).
    func testCastsWeighMoreOnSmallModels() throws {
        let share = try ["llama3-8b", "llama3-70b", "llama3-405b"].map { name -> Double in
            let t = layer(try experiment(model: name)).time
            return (t.castForward + t.castBackward) / (3 * t.gemm)
        }
        XCTAssertGreaterThan(share[0], share[1])
        XCTAssertGreaterThan(share[1], share[2])
        XCTAssertGreaterThan(share[0], 0.05, "\(share)")
    }

    /// Every shipped stack names the figure with its source.
    func testStackFilesNameTheirCastBytes() throws {
        for stack in ["megatron-core", "nemo", "mindspeed", "pytorch-fsdp", "internlm", "deepspeed"] {
            let f = try FrameworkSpec.load(stack, relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
            XCTAssertEqual(f.fp8CastBytes, 4, stack)
            XCTAssertNotNil(f.sources["fp8CastBytes"], stack)
        }
    }
}
