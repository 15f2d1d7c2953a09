import XCTest
@testable import TrainSimCore

/// Graph builders and routing: every family builds, every route is a connected path, and the
/// counts match the design.
final class NetworkTopologyTests: XCTestCase {
    func testFatTreeRailOptimizedCounts() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 2048)
        let g = TopologyGraph(cluster: c)
        guard case .fatTree(let ft) = g.fabric else { return XCTFail("not a fat-tree") }
        XCTAssertTrue(ft.railOptimized)
        XCTAssertEqual(ft.trees, 8)
        XCTAssertEqual(ft.nodesPerLeaf, 32)
        XCTAssertEqual(ft.leaves, 8)          // 256 nodes per rail
        XCTAssertEqual(ft.up[0], 32)
        XCTAssertEqual(ft.columns[1], 32)     // spines per rail
        // Same leaf: NIC up + NIC down; across leaves: through a spine; cross-rail: PXN first.
        XCTAssertEqual(g.hopCount(0, 8), 2)
        XCTAssertEqual(g.hopCount(0, 8 * 32), 4)
        XCTAssertEqual(g.hopCount(0, 1), 2)       // NVSwitch
        XCTAssertEqual(g.hopCount(0, 8 * 40 + 3), 6)
        for (a, b) in [(0, 8), (0, 256), (5, 8 * 200 + 2), (2047, 0), (17, 17)] { assertRouteConnected(g, a, b) }
    }

    func testOversubscribedLeafHasHalfTheUplinks() {
        let spec = NetFixtures.spec { $0.fabric.tiers[0].oversubscription = 2 }
        let g = TopologyGraph(cluster: NetFixtures.cluster(spec, 1344))
        guard case .fatTree(let ft) = g.fabric else { return XCTFail() }
        XCTAssertEqual(ft.down[0], 42)
        XCTAssertEqual(ft.up[0], 21)
    }

    func testNonRailThreeTierAndPlanes() {
        let spec = NetFixtures.spec {
            $0.fabric.railOptimized = false
            $0.fabric.planes = 2
            $0.fabric.tiers = [FabricTier(name: "leaf", switchRadix: 16, oversubscription: 1, latencyUs: 0.5),
                               FabricTier(name: "agg", switchRadix: 16, oversubscription: 1, latencyUs: 0.5),
                               FabricTier(name: "core", switchRadix: 16, oversubscription: 1, latencyUs: 0.5)]
        }
        let c = NetFixtures.cluster(spec, 512)
        let g = TopologyGraph(cluster: c)
        XCTAssertEqual(g.planes, 2)
        XCTAssertEqual(g.hopCount(0, 1), 2)
        // A route striped over two planes carries half a byte per plane per byte.
        var buf = RouteBuffer()
        let level = g.route(0, 511, into: &buf)
        XCTAssertEqual(level, 3)
        XCTAssertEqual(buf.coefs.reduce(0, +), 6, accuracy: 1e-12)
        XCTAssertEqual(Set(buf.links).count, 12)
    }

    func testTorusRoutes() {
        let c = NetFixtures.cluster(NetFixtures.torus([4, 4]), 128)
        let g = TopologyGraph(cluster: c)
        for (a, b) in [(0, 8), (0, 8 * 15), (3, 8 * 5 + 1), (0, 8 * 10)] { assertRouteConnected(g, a, b) }
        XCTAssertEqual(g.hopCount(0, 8 * 10), 2 + 4)   // (0,0) -> (2,2): two hops each way round
    }

    func testDragonflyRoutes() {
        let c = NetFixtures.cluster(NetFixtures.dragonfly(g: 4, h: 2), 8 * 64)
        let g = TopologyGraph(cluster: c)
        for a in stride(from: 0, to: 512, by: 37) { for b in stride(from: 5, to: 512, by: 53) { assertRouteConnected(g, a, b) } }
    }

    func testMeshAndSupernode() {
        let mesh = TopologyGraph(cluster: NetFixtures.cluster(NetFixtures.mesh(), 32))
        XCTAssertEqual(mesh.hopCount(0, 5), 1)
        assertRouteConnected(mesh, 2, 7)
        assertRouteConnected(mesh, 2, 17)
        let sn = TopologyGraph(cluster: NetFixtures.cluster(NetFixtures.supernode(), 768))
        XCTAssertEqual(sn.hopCount(0, 383), 2)         // one UB switch hop across 48 nodes
        XCTAssertGreaterThan(sn.hopCount(0, 384), 2)
        assertRouteConnected(sn, 0, 383)
    }

    func testTopoSummary() throws {
        let s = try TopoSummary.make(spec: NetFixtures.h800(), devices: 2048, groupSizes: [8, 32])
        XCTAssertEqual(s.devices, 2048)
        XCTAssertEqual(s.nodes, 256)
        XCTAssertEqual(s.tiers.map(\.name), ["scale-up", "leaf", "spine"])
        XCTAssertEqual(s.tiers[1].switches, 64)       // 8 leaves x 8 rails
        XCTAssertEqual(s.tiers[2].switches, 32)       // 8 leaves x 32 uplinks x 8 rails / radix 64
        XCTAssertEqual(s.oversubscription, 1)
        XCTAssertEqual(s.diameterHops, 6)
        // Non-blocking: the half-shift permutation gets the full NIC injection.
        XCTAssertEqual(s.bisectionRatio, 1, accuracy: 0.01)
        let ar8 = try XCTUnwrap(s.busbw.first { $0.collective == "allReduce" && $0.groupSize == 8 })
        XCTAssertEqual(ar8.busbwGBps, 160, accuracy: 2)
        for f in ["text", "json", "md"] { XCTAssertFalse(s.render(format: f).isEmpty) }
        XCTAssertTrue(s.render(format: "json").contains("\"bisectionGBps\""))
    }
}
