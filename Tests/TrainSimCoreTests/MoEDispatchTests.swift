import XCTest
@testable import TrainSimCore

/// The stack's MoE dispatcher decides what crosses the fabric; its host synchronisation stalls
/// the compute stream once per MoE layer forward.
final class MoEDispatchTests: XCTestCase {
    func experiment(_ framework: String, devices: Int = 64, ep: Int = 16, pp: Int = 1, recompute: String = "none") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e10, "sequenceLength": 4096, "globalBatchSequences": \(devices / pp * 2), "microBatchSequences": 1,
          "precision": "bf16", "recompute": "\(recompute)", "framework": \(framework)},
         "cluster": {"topology": "h800-ib", "devices": \(devices)}, "parallelism": {"tp": 1, "pp": \(pp), "ep": \(ep), "zero": 1}}
        """), file: "moe.json", folder: nil)
    }

    func requests(_ dispatcher: String) throws -> (CollectiveRequest, CollectiveRequest) {
        var e = try experiment(#"{"stack": "megatron-core", "moeDispatcher": "\#(dispatcher)"}"#)
        e.model.moe!.nodeLimit = nil  // every routed copy crosses the fabric unless the dispatcher dedupes
        let place = Placement(e.parallelism)
        return StepGraphBuilder.expertRequests(model: e.model, spec: e.model.moe!, tokens: 4096, precision: .bf16, epGroup: place.epGroup,
                                               cluster: try Cluster(spec: e.cluster.topology, devices: e.cluster.devices), dispatcher: dispatcher)
    }

    func testDispatchersMoveWhatTheyShould() throws {
        let h = 7168.0, topK = 8.0, n = 16.0
        let (a2a, a2aBack) = try requests("alltoall")
        XCTAssertEqual(a2a.kind, .allToAll)
        XCTAssertEqual(a2a.bytes, 4096 * topK * h * 2)
        XCTAssertEqual(a2aBack.bytes, 4096 * topK * h * 2)
        let (ag, rs) = try requests("allgather")
        XCTAssertEqual(ag.kind, .allGather)
        XCTAssertEqual(ag.bytes, 4096 * h * 2 * n)
        XCTAssertEqual(rs.kind, .reduceScatter)
        XCTAssertEqual(rs.bytes, 4096 * h * 2 * n)
        // DeepEP: once per target node. 16 ranks over 2 nodes: each token reaches at most 2 nodes.
        let (deep, _) = try requests("deepep")
        XCTAssertLessThan(deep.bytes, a2a.bytes / 2)
    }

    /// Backward mirrors the allgather dispatcher: the combine's reduce-scatter comes back as an
    /// all-gather and the dispatch's all-gather as a reduce-scatter, both of 16-bit gradients; so a
    /// step issues as many EP all-gathers as reduce-scatters, and in fp8 training a second all-gather
    /// (the 16-bit gradient) besides the fp8 dispatch.
    func testAllGatherDispatcherBackwardMirrorsItsForward() throws {
        for precision in ["bf16", "fp8"] {
            var e = try experiment(#"{"stack": "megatron-core", "moeDispatcher": "allgather"}"#)
            e.training.precision = precision == "fp8" ? .fp8 : .bf16
            let s = try Analysis.analyze(e).step
            let ep = s.collectives.filter { $0.label == "ep" }
            let gathers = ep.filter { $0.kind == .allGather }, scatters = ep.filter { $0.kind == .reduceScatter }
            XCTAssertEqual(gathers.map(\.callsPerStep).reduce(0, +), scatters.map(\.callsPerStep).reduce(0, +), precision)
            XCTAssertGreaterThan(scatters.map(\.callsPerStep).reduce(0, +), 0, precision)
            XCTAssertEqual(gathers.count, precision == "fp8" ? 2 : 1, precision)
            if precision == "fp8" { XCTAssertEqual(Set(gathers.map(\.bytes)).count, 2) }
        }
    }

    /// Under an all-to-all dispatcher the backward's two all-to-alls retrace the forward's: in fp8
    /// runs the combine's gradient goes to the experts in fp8, as the dispatch did, and the
    /// dispatch's gradient comes back in bf16, as the combine did (DeepSeek-V3 report, sec. 3.3.2):
    /// two sizes of all-to-all, as many fp8 calls as bf16 ones. In bf16 runs, one size.
    func testAllToAllBackwardRetracesTheForwardsPrecision() throws {
        for precision in ["bf16", "fp8"] {
            var e = try experiment(#"{"stack": "megatron-core", "moeDispatcher": "alltoall"}"#)
            e.training.precision = precision == "fp8" ? .fp8 : .bf16
            let ep = try Analysis.analyze(e).step.collectives.filter { $0.label == "ep" && $0.kind == .allToAll }
            XCTAssertEqual(ep.count, precision == "fp8" ? 2 : 1, precision)
            if precision == "fp8", let small = ep.min(by: { $0.bytes < $1.bytes }), let large = ep.max(by: { $0.bytes < $1.bytes }) {
                XCTAssertEqual(large.bytes, 2 * small.bytes)
                XCTAssertEqual(small.callsPerStep, large.callsPerStep)
            }
        }
    }

    func testHostSyncStallsEveryMoELayerForward() throws {
        let base = try Analysis.analyze(try experiment(#"{"stack": "megatron-core", "moeHostSyncUs": 0}"#))
        let slow = try Analysis.analyze(try experiment(#"{"stack": "megatron-core", "moeHostSyncUs": 1000}"#))
        let m = base.experiment.model
        let moeLayers = Double(m.layers + m.mtpLayers - m.moe!.denseLayers)  // the MTP module's layer is an MoE layer too
        let stall = Double(base.step.microBatches) * moeLayers * 1e-3
        let delta = slow.step.stepSeconds - base.step.stepSeconds
        XCTAssertLessThanOrEqual(delta, stall * (1 + 1e-9))
        XCTAssertGreaterThan(delta, 0.5 * stall)
    }

    func testStacksNameTheirDispatcher() throws {
        for (stack, dispatcher) in [("megatron-core", "alltoall"), ("mindspeed", "allgather"), ("deepspeed", "alltoall")] {
            let f = try FrameworkSpec.load(stack, relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
            XCTAssertEqual(f.moeDispatcher, dispatcher, stack)
            XCTAssertFalse(f.sources["moeDispatcher", default: ""].isEmpty, stack)
        }
    }

    func testImbalanceDefaultsToTheStacksSourcedFigure() throws {
        XCTAssertEqual(try experiment(#""megatron-core""#).model.moe!.imbalance, 1.1)
        XCTAssertEqual(try experiment(#"{"stack": "megatron-core", "moeImbalance": 1.3}"#).model.moe!.imbalance, 1.3)
        let given = try Experiment.decode(try JSONParser.parse("""
        {"model": {"preset": "deepseek-v3", "moe": {"experts": 256, "topK": 8, "expertFfnHidden": 2048, "imbalance": 1.0}},
         "training": {"tokens": 1e10, "sequenceLength": 4096, "globalBatchSequences": 128, "framework": {"stack": "megatron-core", "moeImbalance": 1.3}},
         "cluster": {"topology": "h800-ib", "devices": 64}, "parallelism": {"tp": 1, "ep": 16}}
        """), file: "moe.json", folder: nil)
        XCTAssertEqual(given.model.moe!.imbalance, 1.0)
        let f = try FrameworkSpec.load("megatron-core", relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
        XCTAssertFalse(f.sources["moeImbalance", default: ""].isEmpty)
    }

    /// `moeKernelEfficiency` divides the routed experts' GEMM time by the share, and nothing else:
    /// a dense model's layers and an MoE layer's other work are unchanged.
    func testExpertKernelShareSlowsOnlyTheRoutedExpertGEMMs() throws {
        let m = try experiment(#""megatron-core""#).model
        var wb = WorkloadBuilder(model: m, tp: 1, cp: 1, ep: 16, sequenceParallel: false, seq: 4096, microBatch: 1, elementwisePasses: 8)
        let device = try DeviceSpec.load("h800", relativeTo: nil, referencedFrom: nil, keyPath: "device")
        let compute = ComputeModel(device: device, precision: .bf16)
        let full = compute.forwardSeconds(wb.moeLayer(), attentionCalls: 1)
        var fw = FrameworkSpec.reference
        fw.moeKernelEfficiency = 0.25
        fw.elementwisePasses = 0   // the builder's own count: only the expert share differs
        wb.apply(fw, attention: .flash)
        let slow = compute.forwardSeconds(wb.moeLayer(), attentionCalls: 1)
        let experts = wb.moeLayer().gemms.filter { $0.efficiencyShare < 1 }
        XCTAssertEqual(experts.count, 2)
        let expertSeconds = experts.reduce(0) { $0 + compute.gemmSeconds($1) }
        XCTAssertEqual(slow.gemm - full.gemm, expertSeconds * 0.75, accuracy: 1e-12 * slow.gemm)
        XCTAssertEqual(slow.attention, full.attention)
        XCTAssertEqual(slow.memory, full.memory)
        XCTAssertEqual(compute.forwardSeconds(wb.denseLayer(), attentionCalls: 1), compute.forwardSeconds(
            WorkloadBuilder(model: m, tp: 1, cp: 1, ep: 16, sequenceParallel: false, seq: 4096, microBatch: 1, elementwisePasses: 8).denseLayer(),
            attentionCalls: 1))
        let ms = try FrameworkSpec.load("mindspeed", relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
        XCTAssertLessThan(ms.moeKernelEfficiency, 1)
        XCTAssertTrue(ms.sources["moeKernelEfficiency", default: ""].contains("C16.4"))
    }

    /// Imbalance is the busiest expert-parallel rank's excess: without expert parallelism every
    /// device computes its own tokens' top-k copies, however they fall on the experts.
    func testImbalanceLoadsOnlyExpertParallelRanks() throws {
        var m = try experiment(#""megatron-core""#).model
        func expertFLOPs(ep: Int, _ imbalance: Double) -> Double {
            m.moe!.imbalance = imbalance
            let wb = WorkloadBuilder(model: m, tp: 1, cp: 1, ep: ep, sequenceParallel: false, seq: 4096, microBatch: 1, elementwisePasses: 16)
            return wb.moeLayer().gemmFLOPs
        }
        XCTAssertEqual(expertFLOPs(ep: 1, 1.5), expertFLOPs(ep: 1, 1.0))
        XCTAssertGreaterThan(expertFLOPs(ep: 16, 1.5), expertFLOPs(ep: 16, 1.0))
    }

    /// Tensor-parallel overlap (userbuffers, MC2) fuses the attention and dense-MLP linears with
    /// their collectives, in chunks; an MoE layer's TP gather and scatter are the token
    /// dispatcher's, whole collectives the compute stream waits for: with the experts split over
    /// TP (EP 1), one all-gather of the routed tokens before the experts and one reduce-scatter
    /// after them per MoE layer and micro-batch forward.
    func testTPOverlapLeavesTheDispatchersCollectivesWhole() throws {
        func graph(moe: Bool) throws -> TaskGraph {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": {"layers": 8, "hidden": 4096, "ffnHidden": 14336, "heads": 32, "kvHeads": 8, "vocab": 32000, "gatedMLP": true
                       \(moe ? #", "moe": {"experts": 8, "topK": 2, "expertFfnHidden": 14336}"# : "")},
             "training": {"tokens": 1e10, "sequenceLength": 4096, "globalBatchSequences": 4, "microBatchSequences": 1, "precision": "bf16",
                          "framework": {"stack": "megatron-core", "tpCommOverlap": true}},
             "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 8, "pp": 1, "ep": 1, "sequenceParallel": true}}
            """), file: "mixtral.json", folder: nil)
            return try StepTrace(experiment: e).simulate().graph
        }
        // Identical layers run as one block: an operation counts for the layers it stands for.
        func count(_ g: TaskGraph, _ name: String) -> Int { (0..<g.count).filter { g.names[Int(g.name[$0])] == name }.reduce(0) { $0 + Int(g.layers[$1]) } }
        let moe = try graph(moe: true), dense = try graph(moe: false)
        XCTAssertEqual(count(moe, "tp all-gather (routed)"), 4 * 8)
        XCTAssertEqual(count(moe, "tp reduce-scatter (routed)"), 4 * 8)
        XCTAssertEqual(count(moe, "tp all-gather"), 0, "no shared expert: no gather of the hidden state")
        XCTAssertEqual(count(dense, "tp all-gather"), 0)
        XCTAssertEqual(count(dense, "tp reduce-scatter"), 0)
        XCTAssertGreaterThan(count(moe, "tp all-gather (chunk)"), 0)
    }
}
