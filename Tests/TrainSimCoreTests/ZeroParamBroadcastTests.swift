import XCTest
@testable import TrainSimCore

/// InternEvo's hybrid ZeRO optimizer (`zeroGradReduce: allreduce`, `zeroParamSync: broadcast`):
/// gradients all-reduced over every data-parallel rank, then each rank of the zero1 group
/// broadcasts its updated shard, one collective per rank; and the broadcast's cost as a chain.
final class ZeroParamBroadcastTests: XCTestCase {
    func experiment(devices: Int, group: Int? = nil, framework: String = "internlm") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(devices * 2),
          "recompute": "none", "framework": "\(framework)"},
         "cluster": {"topology": "h100-ib", "devices": \(devices)},
         "parallelism": {"tp": 1, "pp": 1, "zero": 1\(group.map { ", \"zeroShardGroup\": \($0)" } ?? "")}}
        """), file: "test.json", folder: nil)
    }

    func testEveryRankOfTheShardGroupBroadcastsItsShard() throws {
        for (devices, group) in [(64, nil), (64, 8), (32, 16)] as [(Int, Int?)] {
            let e = try experiment(devices: devices, group: group)
            let r = try Engine.simulateStep(e)
            let dp = r.collectives.filter { $0.label == "dp" && $0.bytes > 8 }
            let bc = dp.filter { $0.kind == .broadcast }
            let shard = group ?? devices
            XCTAssertTrue(bc.allSatisfy { $0.groupSize == shard }, "broadcasts within the zero1 group")
            // About one broadcast per rank of the group (each layer takes a whole number of them),
            // together carrying every parameter once, in bf16.
            let calls = bc.reduce(0) { $0 + $1.callsPerStep }
            XCTAssertGreaterThanOrEqual(calls, Double(shard) * 0.8, "\(devices) / \(shard)")
            XCTAssertLessThanOrEqual(calls, Double(shard) * 1.2 + 40, "\(devices) / \(shard)")
            let params = ParameterCount(e.model)
            let total = params.total
            XCTAssertEqual(bc.reduce(0) { $0 + $1.bytes * $1.callsPerStep } / 2, total, accuracy: total * 1e-9)
            // Gradients: all-reduced over every data-parallel rank, whatever the zero1 group.
            let ar = dp.filter { $0.kind == .allReduce }
            XCTAssertFalse(ar.isEmpty)
            XCTAssertTrue(ar.allSatisfy { $0.groupSize == devices })
            XCTAssertTrue(dp.allSatisfy { $0.kind != .reduceScatter && $0.kind != .allGather })
        }
        // Megatron-Core's distributed optimizer: reduce-scatter and all-gather, no broadcast.
        let m = try Engine.simulateStep(try experiment(devices: 64, framework: "megatron-core"))
        XCTAssertTrue(m.collectives.allSatisfy { $0.kind != .broadcast })
    }

    /// The chain's latency grows with the group: sharding over every rank of a large cluster
    /// costs more than over a node's, as InternEvo measured (zero1=-1 vs zero1=8).
    func testShardingOverEveryRankIsSlowerAtScale() throws {
        let all = try Engine.simulateStep(try experiment(devices: 512))
        let node = try Engine.simulateStep(try experiment(devices: 512, group: 8))
        XCTAssertGreaterThan(all.stepSeconds, node.stepSeconds)
    }

    /// A broadcast is a pipelined chain: the bytes at the slowest hop's rate, plus one step
    /// latency per hop (nL - 1 inside each of nD domains, nD - 1 between them).
    func testBroadcastCostIsTheChainClosedForm() throws {
        let e = try experiment(devices: 64)
        let cluster = try Cluster(spec: e.cluster.topology, devices: 64)
        let net = AnalyticalNetwork(cluster: cluster)
        let group = Placement(e.parallelism).dpGroup
        XCTAssertEqual(group.size, 64)
        let S = 1e9
        let c = net.cost(CollectiveRequest(kind: .broadcast, bytes: S, group: group, label: "dp"))
        let nL = 8.0, nD = 8.0
        let b = min(net.outBandwidth(level: GroupShape(group, on: cluster).level) * nL, cluster.scaleUpBytesPerSecond(groupMembers: 8))
        let expected = S / b + (nL - 1) * nD * cluster.latency(level: 0) + (nD - 1) * cluster.latency(level: GroupShape(group, on: cluster).level)
        XCTAssertEqual(c.seconds, expected, accuracy: expected * 1e-12)
        XCTAssertEqual(c.algorithm, "chain")
    }
}
