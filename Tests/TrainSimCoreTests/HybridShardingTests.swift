import XCTest
@testable import TrainSimCore

/// Hybrid sharding (`parallelism.zeroShardGroup`): ZeRO's states sharded over groups of the
/// innermost data-parallel ranks and replicated across them (Megatron-Core's distributed-optimizer
/// instances, PyTorch HSDP). Gradients are reduce-scattered within a group and each shard
/// all-reduced across the replicas; parameters are gathered within a group.
final class HybridShardingTests: XCTestCase {
    func experiment(zero: Int = 1, group: Int? = nil, tp: Int = 1, cp: Int = 1, devices: Int = 64,
                    framework: String = "megatron-core") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": \(devices / (tp * cp) * 2),
          "recompute": "selective", "framework": "\(framework)"},
         "cluster": {"topology": "h100-ib", "devices": \(devices)},
         "parallelism": {"tp": \(tp), "pp": 1, "cp": \(cp), "zero": \(zero)\(group.map { ", \"zeroShardGroup\": \($0)" } ?? "")}}
        """), file: "test.json", folder: nil)
    }

    func testSplitGroupsTileTheGroup() {
        let g = CommGroup([GroupDim(size: 2, stride: 1), GroupDim(size: 3, stride: 8), GroupDim(size: 4, stride: 24)])
        for inner in [1, 2, 6, 12, 24] {
            let (a, b) = try! XCTUnwrap(g.split(inner: inner))
            XCTAssertEqual(a.size, inner)
            XCTAssertEqual(b.size, g.size / inner)
            // Every member once: an inner subgroup at each member of the outer group.
            let members = b.members().flatMap { a.members(base: $0) }
            XCTAssertEqual(members.sorted(), g.members().sorted(), "inner \(inner)")
            // The inner subgroup holds the innermost members.
            XCTAssertEqual(a.members().sorted(), Array(g.members().sorted().prefix(inner)).sorted(), "inner \(inner)")
        }
        XCTAssertNil(g.split(inner: 4), "4 takes the first dimension (2) and half of the next (3)")
        XCTAssertNil(g.split(inner: 5))
    }

    func testStatesAreShardedOverTheGroupOnly() throws {
        let all = try Engine.simulateStep(try experiment(zero: 1))
        for g in [8, 16, 32] {
            let hybrid = try Engine.simulateStep(try experiment(zero: 1, group: g))
            XCTAssertEqual(hybrid.memory.optimizerGiB, all.memory.optimizerGiB * Double(64 / g), accuracy: 1e-9)
            XCTAssertEqual(hybrid.memory.weightsGiB, all.memory.weightsGiB, accuracy: 1e-9)
            XCTAssertGreaterThan(hybrid.memory.peakGiB, all.memory.peakGiB)
        }
        // ZeRO-3: weights, gradients and optimizer states all over the group.
        let z3 = try Engine.simulateStep(try experiment(zero: 3, framework: "pytorch-fsdp"))
        let h3 = try Engine.simulateStep(try experiment(zero: 3, group: 8, framework: "pytorch-fsdp"))
        XCTAssertEqual(h3.memory.gradientsGiB, z3.memory.gradientsGiB * 8, accuracy: 1e-9)
        XCTAssertEqual(h3.memory.optimizerGiB, z3.memory.optimizerGiB * 8, accuracy: 1e-9)
    }

    func testAGroupOfEveryRankIsPlainSharding() throws {
        let all = try Engine.simulateStep(try experiment(zero: 1))
        let same = try Engine.simulateStep(try experiment(zero: 1, group: 64))
        XCTAssertEqual(same.stepSeconds, all.stepSeconds)
        XCTAssertEqual(same.memory.peakGiB, all.memory.peakGiB)
    }

    func testGradientsAreReduceScatteredInTheGroupThenAllReducedAcrossReplicas() throws {
        for (zero, framework) in [(1, "megatron-core"), (3, "pytorch-fsdp")] {
            let r = try Engine.simulateStep(try experiment(zero: zero, group: 8, cp: 2, devices: 64, framework: framework))
            let dp = r.collectives.filter { $0.label == "dp" && $0.bytes > 8 }
            let rs = dp.filter { $0.kind == .reduceScatter }, ar = dp.filter { $0.kind == .allReduce }, ag = dp.filter { $0.kind == .allGather }
            XCTAssertFalse(rs.isEmpty); XCTAssertFalse(ar.isEmpty); XCTAssertFalse(ag.isEmpty)
            XCTAssertTrue(rs.allSatisfy { $0.groupSize == 8 }, "reduce-scatter within the shard group")
            XCTAssertTrue(ag.allSatisfy { $0.groupSize == 8 }, "parameters gathered within the shard group")
            XCTAssertTrue(ar.allSatisfy { $0.groupSize == 8 }, "dp x cp = 32 x 2 = 64 ranks: 8 replicas")
            // Each shard's all-reduce carries an eighth of the gradients its reduce-scatter took,
            // once per reduce-scatter.
            XCTAssertEqual(Set(ar.map { $0.bytes * 8 }), Set(rs.map(\.bytes)), "ZeRO-\(zero)")
            XCTAssertEqual(ar.reduce(0) { $0 + $1.callsPerStep }, rs.reduce(0) { $0 + $1.callsPerStep })
        }
    }

    /// The all-reduce of each shard across the replicas runs on its own stream (PyTorch HSDP's
    /// all-reduce stream; Megatron-Core's distributed-optimizer instances): each starts after its
    /// reduce-scatter, and later reduce-scatters do not wait for it. The trace names that stream
    /// only where it is used.
    func testReplicaAllReducesRunOnTheirOwnStream() throws {
        for (zero, framework) in [(1, "megatron-core"), (3, "pytorch-fsdp")] {
            let e = try experiment(zero: zero, group: 8, devices: 64, framework: framework)
            let s = try StepTrace(experiment: e).simulate()
            let g = s.graph, per = TaskGraph.streamsPerStage
            func on(_ st: TaskGraph.Stream) -> [Int] { (0..<g.count).filter { g.stream[$0] % per == st.rawValue } }
            let replica = on(.dpReplica)
            let scatters = on(.dpReduce).filter { g.request[$0] >= 0 && g.requests[Int(g.request[$0])].kind == .reduceScatter }
            XCTAssertFalse(replica.isEmpty, framework)
            XCTAssertEqual(replica.count, scatters.count, framework)
            for a in replica {
                XCTAssertEqual(g.requests[Int(g.request[a])].kind, .allReduce)
                XCTAssertEqual(g.requests[Int(g.request[a])].group.size, 8, "across the 8 replicas")
                // After the reduce-scatter of its shard (the one added just before it).
                let own = scatters.last { $0 < a }!
                XCTAssertGreaterThanOrEqual(s.start[a], s.end[own] - 1e-12)
            }
            let overlapped = replica.contains { a in scatters.contains { r in r > a && s.start[r] < s.end[a] && s.end[r] > s.start[a] } }
            XCTAssertTrue(overlapped, "\(framework): a later reduce-scatter runs beside a replica all-reduce")
            let text = JSONWriter.write(try StepTrace(experiment: e).traceJSON())
            XCTAssertTrue(text.contains("dp replica all-reduce"))
        }
        let plain = JSONWriter.write(try StepTrace(experiment: try experiment(zero: 1)).traceJSON())
        XCTAssertFalse(plain.contains("dp replica all-reduce"))
    }

    func testBadGroupsAreOneLine() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { _ = try self.experiment(zero: 0, group: 8) }.contains("parallelism.zero is 0"))
        XCTAssertTrue(message { _ = try self.experiment(zero: 1, group: 5) }.contains("does not divide the 64 data-parallel ranks"))
        // dp x cp = 2 x 3 over 6 devices with cp 3: groups of 2 would take part of cp and none of dp.
        let m = message {
            _ = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 6144, "globalBatchSequences": 4},
             "cluster": {"topology": "h100-ib", "devices": 6}, "parallelism": {"tp": 1, "cp": 3, "zero": 1, "zeroShardGroup": 2}}
            """), file: "test.json", folder: nil)
        }
        XCTAssertTrue(m.contains("cannot be taken from the innermost data-parallel ranks"), m)
        XCTAssertFalse(m.contains("\n"))
    }

    func testMegatronInstancesImportAndEmit() throws {
        let args = "--num-layers 32 --hidden-size 4096 --num-attention-heads 32 --seq-length 4096 --max-position-embeddings 4096 "
            + "--tensor-model-parallel-size 2 --use-distributed-optimizer --num-distributed-optimizer-instances 4 --micro-batch-size 1 --global-batch-size 64"
        let i = try MegatronImport.read(args, file: "a.txt", options: .init(model: "llama3-8b", devices: 64))
        let e = try Experiment.decode(i.experiment, file: "imported.json", folder: nil)
        XCTAssertEqual(e.parallelism.zeroShardGroup, 8, "dp 32 / 4 instances")
        XCTAssertTrue(LaunchArguments.render(e, flavour: .megatron).contains("--num-distributed-optimizer-instances 4"))
        XCTAssertThrowsError(try MegatronImport.read(args.replacingOccurrences(of: "instances 4", with: "instances 3"), file: "a.txt",
                                                     options: .init(model: "llama3-8b", devices: 64)))
    }
}
