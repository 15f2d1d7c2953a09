import XCTest
@testable import TrainSimCore

/// The analytical network on direct fabrics (torus, dragonfly) follows their structure: a torus
/// ring all-reduce has its closed form (hops per dimension, rings per link, router port bandwidth),
/// and the collectives a step issues cost within 25 % of flow mode on the torus and dragonfly shapes.
final class DirectFabricAnalyticalTests: XCTestCase {
    func testTorusRingAllReduceClosedForm() {
        // 4x4x4 torus of 8-device nodes; the data-parallel group takes one device per node (tp 8),
        // so 8 rings (one per device of a node) run over the 64 nodes in index order.
        let spec = NetFixtures.torus([4, 4, 4])
        let cluster = NetFixtures.cluster(spec, 512)
        let net = AnalyticalNetwork(cluster: cluster)
        let bytes = 1e9
        let c = net.cost(CollectiveRequest(kind: .allReduce, bytes: bytes, group: CommGroup(size: 64, stride: 8), label: "dp"))
        // A router port: the node's NIC bandwidth over its 2 x 3 ports. Each ring hop of the 64 takes one
        // +x link (and every 4th a +y, every 16th a +z), so each +x link carries 8 rings x 64 hops / 64 links.
        let nodeBW = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * spec.fabric.efficiency
        let perRing = nodeBW / 6 / 8
        // The ring closes 63 -> 0 across all three wrap-around links: 3 hops.
        let alpha = (spec.fabric.baseLatencyUs + 3 * spec.fabric.tiers[0].latencyUs) * 1e-6
        let expected = 2.0 * 63 / 64 * bytes / perRing + 2 * 63 * alpha
        XCTAssertEqual(c.algorithm, "ring")
        XCTAssertEqual(c.seconds, expected, accuracy: expected * 1e-9)
        // A fat-tree of the same NICs gives each device its NIC: 6x what a torus ring gets here.
        let fat = AnalyticalNetwork(cluster: NetFixtures.cluster(NetFixtures.h800(), 512))
            .cost(CollectiveRequest(kind: .allReduce, bytes: bytes, group: CommGroup(size: 64, stride: 8), label: "dp"))
        XCTAssertGreaterThan(c.seconds, 4 * fat.seconds)
    }

    /// (spec, devices, name) for the torus and dragonfly shapes the network tests use.
    /// Topologies/ ships no torus or dragonfly design: these are the network tests' shapes (h800-ib
    /// nodes on the fabric), the 4x4x4 torus the issue measured among them.
    static var shapes: [(TopologySpec, Int, String)] {
        [(NetFixtures.torus([4, 4, 4]), 512, "torus 4x4x4"), (NetFixtures.torus([4, 4]), 128, "torus 4x4"),
         (NetFixtures.torus([8]), 64, "torus 8"), (NetFixtures.dragonfly(g: 8, h: 4), 2048, "dragonfly g8 h4, 2048"),
         (NetFixtures.dragonfly(g: 4, h: 2), 256, "dragonfly g4 h2, 256"), (NetFixtures.dragonfly(g: 4, h: 2), 512, "dragonfly g4 h2, 512")]
    }

    func testAnalyticalIsWithin25PercentOfFlowOnTorusAndDragonfly() {
        for (spec, devices, name) in Self.shapes {
            let cluster = NetFixtures.cluster(spec, devices)
            let analytical = AnalyticalNetwork(cluster: cluster)
            let flow = FlowNetwork(cluster: cluster)
            let nodes = devices / 8
            // (tp, pp): the data-parallel group is every (tp x pp)-th device; TP is inside a node.
            var requests: [CollectiveRequest] = []
            for (tp, pp) in [(8, 1), (4, 1), (8, 2), (2, 1), (8, 4), (1, 1)] where nodes / pp >= 2 {
                let dp = CommGroup(size: devices / (tp * pp), stride: tp * pp)
                for kind in [CollectiveKind.allReduce, .reduceScatter, .allGather] {
                    // Gradient buckets and whole-model reductions: latency- and bandwidth-bound.
                    for bytes in [1e6, 512e6] {
                        requests.append(CollectiveRequest(kind: kind, bytes: bytes, group: dp, label: "dp tp\(tp) pp\(pp) \(bytes) B"))
                    }
                }
                if tp > 1 { requests.append(CollectiveRequest(kind: .allReduce, bytes: 64e6, group: CommGroup(size: tp, stride: 1), label: "tp\(tp)")) }
            }
            for r in requests {
                let a = analytical.cost(r).seconds, f = flow.cost(r).seconds
                XCTAssertLessThan(abs(a - f) / f, 0.25, "\(name): \(r.label) \(r.kind) analytical \(a) s, flow \(f) s")
            }
        }
    }
}
