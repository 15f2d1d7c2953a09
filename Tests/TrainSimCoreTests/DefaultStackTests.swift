import XCTest
@testable import TrainSimCore

/// An experiment that names no stack runs its device's default one (`defaultStack` in the device
/// file: MindSpeed on Ascend, where Megatron-Core runs only through MindSpeed's patches), else the
/// reference stack; a stack the experiment names always wins. Sweeps and searches that move a run
/// onto another device follow that device.
final class DefaultStackTests: XCTestCase {
    func experiment(_ topology: String, framework: String? = nil) throws -> Experiment {
        let fw = framework.map { #", "framework": \#($0)"# } ?? ""
        return try Experiment.decode(try JSONParser.parse("""
        {"model": "qwen3-30b-a3b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "precision": "bf16"\(fw)},
         "cluster": {"topology": "\(topology)", "devices": 16}, "parallelism": {"tp": 1, "ep": 8, "zero": 1}}
        """), file: "s.json", folder: nil)
    }

    func testTheDeviceChoosesTheStackOnlyWhenTheExperimentNamesNone() throws {
        XCTAssertEqual(try experiment("ascend-910b-a2").training.framework.id, "mindspeed")
        XCTAssertEqual(try experiment("cloudmatrix384").training.framework.id, "mindspeed")
        XCTAssertEqual(try experiment("h800-ib").training.framework.id, "megatron-core")
        XCTAssertEqual(try experiment("ascend-910b-a2", framework: #""megatron-core""#).training.framework.id, "megatron-core")
        // Flags without a stack start from the device's stack.
        let flags = try experiment("ascend-910b-a2", framework: #"{"moeDispatcher": "alltoall"}"#)
        XCTAssertEqual(flags.training.framework.id, "mindspeed")
        XCTAssertEqual(flags.training.framework.moeDispatcher, "alltoall")
        // The MoE imbalance the model leaves unsaid is the chosen stack's (both stacks give 1.1 today:
        // this holds the wiring, not a difference).
        XCTAssertEqual(try experiment("ascend-910b-a2").model.moe?.imbalance, try FrameworkSpec.load("mindspeed", relativeTo: nil, referencedFrom: nil, keyPath: "k").moeImbalance)
        // The device file says why, and the report names the stack that ran.
        XCTAssertNotNil(try experiment("ascend-910b-a2").cluster.topology.device.sources["defaultStack"])
        let text = try Analysis.analyze(try experiment("ascend-910b-a2")).render(.text)
        XCTAssertTrue(text.contains("stack: mindspeed"), text)
        // A comparison of designs names each column's stack.
        let table = CompareTable(columns: try ["h800-ib", "ascend-910b-a2"].map {
            CompareTable.Column(label: $0, report: try Analysis.analyze(try experiment($0)).reportJSON())
        }).render(.text)
        let row = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("stack") }, table)
        XCTAssertTrue(row.contains("megatron-core, fused") && row.contains("mindspeed, fused"), String(row))
    }

    func testABadDefaultStackIsAOneLineError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("default-stack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var device = try JSONParser.parse(String(contentsOf: SweepPlanTests.root.appendingPathComponent("Topologies/devices/ascend-910b.json"), encoding: .utf8))
        guard case var .object(pairs) = device else { return XCTFail("device file is an object") }
        pairs = pairs.map { $0.0 == "defaultStack" ? ($0.0, .number(3)) : $0 }
        device = .object(pairs)
        try Data(JSONWriter.write(device).utf8).write(to: dir.appendingPathComponent("npu.json"))
        XCTAssertThrowsError(try DeviceSpec.load(dir.appendingPathComponent("npu.json").path, relativeTo: nil, referencedFrom: nil, keyPath: "device")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("defaultStack"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// A sweep over designs: each point runs its own device's default stack, exactly as the point
    /// decoded on its own does.
    func testSweepPointsFollowTheirDevice() throws {
        let text = """
        {"schemaVersion": 1, "name": "t", "model": "qwen3-30b-a3b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "precision": "bf16"},
         "cluster": {"topology": "h800-ib", "devices": 16}, "parallelism": {"tp": 1, "ep": 8, "zero": 1},
         "sweep": {"cluster.topology": ["h800-ib", "ascend-910b-a2"], "parallelism.tp": [1, 2]}}
        """
        let plan = try SweepPlan(document: try JSONParser.parse(text), file: "test.json", folder: nil)
        let evaluator = SweepEvaluator(plan)
        var stacks: [String] = []
        for i in 0..<plan.count {
            let p = evaluator.evaluate(i)
            XCTAssertEqual(p.jsonLine, plan.evaluate(i).jsonLine, "point \(i)")
            if case let .string(s)? = p.report?["plan"]?["framework"] { stacks.append(s) }
        }
        XCTAssertEqual(stacks, ["megatron-core", "megatron-core", "mindspeed", "mindspeed"])
    }

    /// A search over designs builds each cluster's candidates on that device's stack.
    func testSearchClustersFollowTheirDevice() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"schemaVersion": 1, "name": "s", "model": "qwen3-30b-a3b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "precision": "bf16"},
         "cluster": {"topology": "h800-ib", "devices": 16}, "parallelism": {"tp": 1, "ep": 8},
         "search": {"objective": "time", "top": 2, "space": {"cluster.topology": ["h800-ib", "ascend-910b-a2"],
                    "parallelism.zero": [1], "training.recompute": ["selective"], "training.microBatchSequences": [1]}}}
        """), file: "s.json", folder: SweepPlanTests.root.appendingPathComponent("Experiments"), validatingPlan: false)
        let s = try PlanSearch(e)
        XCTAssertEqual(s.clusters.map(\.topology), ["h800-ib", "ascend-910b-a2"])
        XCTAssertEqual(s.clusters.map(\.base.training.framework.id), ["megatron-core", "mindspeed"])
        for id in s.candidates.indices where s.candidates[id].cluster == 1 {
            XCTAssertEqual(try s.experiment(id).training.framework.id, "mindspeed")
            break
        }
    }
}
