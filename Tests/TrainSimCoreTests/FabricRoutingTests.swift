import XCTest
@testable import TrainSimCore

/// `fabric.routing`: destination-mod-k by default, ECMP hashing when the design says so.
final class FabricRoutingTests: XCTestCase {
    func spec(routing: String?) throws -> TopologySpec {
        let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/Topologies/h100-ib.json")
        var json = try JSONParser.parse(Data(contentsOf: url))
        if let routing { json = json.setting(["fabric", "routing"], to: .string(routing)) }
        return try TopologySpec.decode(json, id: "t", file: "t.json", folder: url.deletingLastPathComponent())
    }

    func testDecodingAndErrors() throws {
        XCTAssertEqual(try spec(routing: nil).fabric.routing, .destinationModK)
        XCTAssertEqual(try spec(routing: "ecmp").fabric.routing, .ecmpHash)
        XCTAssertThrowsError(try spec(routing: "adaptive")) { e in
            XCTAssertTrue("\(e)".contains("fabric.routing"), "\(e)")
        }
    }

    func testHashCollisionsNeverBeatDestinationModKOnAShiftPattern() throws {
        // One device per node over 64 nodes, across leaves: a ring is a shift pattern, which
        // destination-mod-k routes without sharing a link; hashing may put two flows on one.
        let group = CommGroup(size: 64, stride: 8)
        var costs: [Double] = []
        for r in ["d-mod-k", "ecmp"] {
            let cluster = try Cluster(spec: spec(routing: r), devices: 512)
            let net = NetworkBackends.make(.flow, cluster: cluster)
            costs.append(net.cost(CollectiveRequest(kind: .reduceScatter, bytes: 1e9, group: group, label: "dp")).seconds)
        }
        XCTAssertGreaterThanOrEqual(costs[1], costs[0] * (1 - 1e-9))
        let summary = try TopoSummary.make(spec: spec(routing: "ecmp"), devices: 64, groupSizes: [8])
        XCTAssertTrue(summary.fabric.contains("ECMP"), summary.fabric)
    }
}
