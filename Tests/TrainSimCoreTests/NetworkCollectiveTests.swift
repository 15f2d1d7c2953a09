import XCTest
@testable import TrainSimCore

/// Collectives on the flow network: closed forms where nothing contends, oversubscription,
/// in-network reduction, concurrency, and the symmetric fast path against the full solve.
final class NetworkCollectiveTests: XCTestCase {
    let GiB = 1_073_741_824.0

    func busbw(_ net: FlowNetwork, _ kind: CollectiveKind, _ group: CommGroup, bytes: Double? = nil) -> Double {
        let b = bytes ?? GiB
        let c = net.cost(CollectiveRequest(kind: kind, bytes: b, group: group, label: "t"))
        return b * kind.busFactor(group.size) / c.seconds
    }

    /// Closed form: bytes x factor / bw + steps x latency, as nccl-tests' busbw factors say.
    func closedForm(_ kind: CollectiveKind, n: Int, bytes: Double, bw: Double, latency: Double) -> Double {
        let steps: Double = kind == .allReduce ? 2 * Double(n - 1) : kind == .allToAll ? 1 : Double(n - 1)
        return bytes * kind.busFactor(n) / bw + steps * latency
    }

    func testContentionFreeEqualsClosedFormInsideNode() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 64)
        var o = FlowNetwork.Options()
        o.allReduceCandidates = [.ring]
        let net = FlowNetwork(cluster: c, options: o)
        let g = CommGroup(size: 8, stride: 1)
        for kind in [CollectiveKind.allReduce, .reduceScatter, .allGather, .allToAll] {
            for bytes in [GiB, 64 * 1_048_576.0] {
                let got = net.cost(CollectiveRequest(kind: kind, bytes: bytes, group: g, label: "tp")).seconds
                let want = closedForm(kind, n: 8, bytes: bytes, bw: c.scaleUpBytesPerSecond, latency: c.latency(level: 0))
                XCTAssertEqual(got / want, 1, accuracy: 0.01, "\(kind) \(bytes)")
            }
        }
    }

    func testContentionFreeEqualsClosedFormAcrossNodes() {
        // 16 nodes under one leaf per rail: DP rings on each rail never share a link.
        let c = NetFixtures.cluster(NetFixtures.h800(), 128)
        var o = FlowNetwork.Options()
        o.allReduceCandidates = [.ring]
        let net = FlowNetwork(cluster: c, options: o)
        let g = CommGroup(size: 16, stride: 8)
        for kind in [CollectiveKind.allReduce, .reduceScatter, .allGather, .allToAll] {
            XCTAssertEqual(busbw(net, kind, g) / c.scaleOutBytesPerSecond, 1, accuracy: 0.01, "\(kind)")
        }
        // Across leaves on a non-blocking tree, destination-mod-k routing keeps rings apart too.
        let big = NetFixtures.cluster(NetFixtures.h800(), 1024)
        let net2 = FlowNetwork(cluster: big, options: o)
        let p = net2.profile(.allReduce, CommGroup(size: 128, stride: 8), .ring)!
        XCTAssertEqual(CollectiveKind.allReduce.busFactor(128) / p.secondsPerByte / big.scaleOutBytesPerSecond, 1, accuracy: 0.01)
        XCTAssertEqual(p.latencySeconds, 2 * 127 * big.latency(level: 2), accuracy: 1e-12)
    }

    func testOversubscribedSpineHalvesCrossSpineAllReduce() {
        // One member per leaf: every ring hop crosses the spine. 2:1 leaves have half the uplinks.
        var nic = 0.0
        func crossSpine(_ over: Double) -> Double {
            let spec = NetFixtures.spec { $0.fabric.tiers[0].oversubscription = over }
            let perLeaf = over == 1 ? 32 : 42
            let c = NetFixtures.cluster(spec, perLeaf * 4 * 8)
            var o = FlowNetwork.Options()
            o.allReduceCandidates = [.ring]
            let net = FlowNetwork(cluster: c, options: o)
            nic = c.scaleOutBytesPerSecond
            return busbw(net, .allReduce, CommGroup(size: 4, stride: perLeaf * 8))
        }
        let full = crossSpine(1), half = crossSpine(2)
        XCTAssertEqual(full / nic, 1, accuracy: 0.01)
        XCTAssertEqual(half / full, 0.5, accuracy: 0.01)
    }

    func testHierarchicalAndInNetwork() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 128)
        let net = FlowNetwork(cluster: c)
        // A group of all 128 devices: eight rings, each leaving a node through its own NIC
        // (PXN), are NVLink-bound; the hierarchical all-reduce pays the NICs at 1/8 of the buffer.
        let g = CommGroup(size: 128, stride: 1)
        let ring = net.profile(.allReduce, g, .ring)!
        let hier = net.profile(.allReduce, g, .hierarchical)!
        XCTAssertEqual(CollectiveKind.allReduce.busFactor(128) / ring.secondsPerByte / c.scaleUpBytesPerSecond, 1, accuracy: 0.01)
        let hierBus = 2 * 7.0 / 8 / c.scaleUpBytesPerSecond + 2 * 15.0 / 16 / 8 / c.scaleOutBytesPerSecond
        XCTAssertEqual(hier.secondsPerByte / hierBus, 1, accuracy: 0.01)
        XCTAssertEqual(net.cost(CollectiveRequest(kind: .allReduce, bytes: GiB, group: g, label: "dp")).algorithm, "ring")
        // Reduce-scatter over 4 devices in each of 16 nodes: 4 rings use 4 NICs per node.
        let rs = net.profile(.reduceScatter, CommGroup([GroupDim(size: 4, stride: 2), GroupDim(size: 16, stride: 8)]), .ring)!
        XCTAssertEqual(63.0 / 64 / rs.secondsPerByte / min(c.scaleUpBytesPerSecond, 4 * c.scaleOutBytesPerSecond), 1, accuracy: 0.01)
        XCTAssertNil(net.profile(.allReduce, g, .inNetwork))   // h800-ib has no SHARP

        // NVLS in a supernode's switch: each device sends and receives the buffer once.
        let sn = NetFixtures.cluster(NetFixtures.supernode(), 384)
        let snNet = FlowNetwork(cluster: sn)
        let nvls = snNet.profile(.allReduce, CommGroup(size: 64, stride: 1), .inNetwork)!
        XCTAssertEqual(1 / nvls.secondsPerByte / sn.scaleUpBytesPerSecond, 1, accuracy: 0.01)

        // SHARP-like reduction in the fabric: the inter-node phase moves the chunk once each way.
        let sharpSpec = NetFixtures.spec { $0.fabric.inNetworkReduction = true }
        let sc = NetFixtures.cluster(sharpSpec, 128)
        let sharp = FlowNetwork(cluster: sc).profile(.allReduce, CommGroup(size: 16, stride: 8), .inNetwork)!
        XCTAssertEqual(1 / sharp.secondsPerByte / sc.scaleOutBytesPerSecond, 1, accuracy: 0.01)
    }

    func testFullMeshUsesEveryLink() {
        // HCCS-like mesh: a ring uses one of the seven links; direct exchange uses all of them.
        let c = NetFixtures.cluster(NetFixtures.mesh(), 64)
        let net = FlowNetwork(cluster: c)
        let g = CommGroup(size: 8, stride: 1)
        let cost = net.cost(CollectiveRequest(kind: .allReduce, bytes: GiB, group: g, label: "tp"))
        XCTAssertEqual(cost.algorithm, "mesh")
        XCTAssertEqual(busbw(net, .allReduce, g) / c.scaleUpBytesPerSecond, 1, accuracy: 0.01)
        XCTAssertEqual(busbw(net, .allToAll, g) / c.scaleUpBytesPerSecond, 1, accuracy: 0.01)
        XCTAssertFalse(net.candidates(.allReduce, CommGroup(size: 16, stride: 1)).contains(.mesh))
    }

    func testRingsAcrossUnequalDomainsAndOversizedGroups() {
        // 48 members in one supernode, 16 in the next: 16 rings, bound by the UB links.
        let sn = NetFixtures.cluster(NetFixtures.supernode(), 768)
        let net = FlowNetwork(cluster: sn)
        let g = CommGroup(size: 64, stride: 8)
        let ring = net.profile(.allReduce, g, .ring)!
        XCTAssertEqual(CollectiveKind.allReduce.busFactor(64) / ring.secondsPerByte / sn.scaleUpBytesPerSecond, 1, accuracy: 0.01)
        // A group wider than the cluster falls back to the closed forms rather than costing 0.
        let wide = CollectiveRequest(kind: .allReduce, bytes: GiB, group: CommGroup(size: 256, stride: 8), label: "dp")
        XCTAssertEqual(net.cost(wide), AnalyticalNetwork(cluster: sn).cost(wide))
    }

    func testOtherAlgorithmsApproachRing() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 128)
        let net = FlowNetwork(cluster: c)
        let g = CommGroup(size: 16, stride: 8)
        let ring = net.profile(.allReduce, g, .ring)!.secondsPerByte
        for a in [CollectiveAlgorithm.halvingDoubling, .nhr, .doubleBinaryTree] {
            let p = net.profile(.allReduce, g, a)!
            XCTAssertEqual(p.secondsPerByte / ring, 1, accuracy: 0.2, "\(a)")
        }
        XCTAssertNil(net.profile(.allReduce, CommGroup(size: 12, stride: 8), .halvingDoubling))
        XCTAssertNotNil(net.profile(.allToAll, g, .pairwiseSteps))
        let p2p = net.cost(CollectiveRequest(kind: .sendRecv, bytes: GiB, group: CommGroup(size: 4, stride: 8), label: "pp"))
        XCTAssertEqual(GiB / p2p.seconds / c.scaleOutBytesPerSecond, 1, accuracy: 0.01)
    }

    func testConcurrentCollectivesShareLinks() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 128)
        let net = FlowNetwork(cluster: c)
        let dp = CollectiveRequest(kind: .allReduce, bytes: GiB, group: CommGroup(size: 16, stride: 8), label: "dp")
        let ep = CollectiveRequest(kind: .allToAll, bytes: GiB, group: CommGroup(size: 16, stride: 8), label: "ep")
        let tp = CollectiveRequest(kind: .allReduce, bytes: GiB, group: CommGroup(size: 8, stride: 1), label: "tp")
        let alone = [dp, ep, tp].map { net.cost($0).seconds }
        let together = net.costConcurrent([dp, ep, tp]).map(\.seconds)
        XCTAssertGreaterThan(together[0], alone[0] * 1.2)   // DP and EP share the NICs
        // Max-min is fair per flow: the all-to-all's 15 flows per NIC keep 15/16 of it.
        XCTAssertGreaterThan(together[1], alone[1] * 1.03)
        XCTAssertEqual(together[2] / alone[2], 1, accuracy: 0.01)   // TP stays on NVLink
        XCTAssertEqual(net.costConcurrent([dp]).map(\.seconds), [alone[0]])
        let single = net.costConcurrent([dp, CollectiveRequest(kind: .allReduce, bytes: 0, group: dp.group, label: "x")])
        XCTAssertEqual(single[0].seconds / alone[0], 1, accuracy: 1e-6)
    }

    /// The symmetric fast path (one solve per class of identical independent copies) equals the
    /// full solve of all copies, for every collective, on fat-trees (D-mod-k and ECMP), an
    /// oversubscribed tree, a torus and a dragonfly.
    func testSymmetricPathEqualsFullSolve() {
        let specs: [(TopologySpec, Int)] = [
            (NetFixtures.h800(), 256),
            (NetFixtures.spec { $0.fabric.tiers[0].oversubscription = 2 }, 8 * 84),
            (NetFixtures.torus([4, 4]), 128),
            (NetFixtures.dragonfly(g: 4, h: 2), 256),
            (NetFixtures.mesh(), 64),
        ]
        let requests: [(CollectiveKind, CommGroup)] = [
            (.allReduce, CommGroup(size: 8, stride: 1)), (.allReduce, CommGroup(size: 8, stride: 8)),
            (.allToAll, CommGroup(size: 16, stride: 1)), (.sendRecv, CommGroup(size: 4, stride: 16)),
            (.allGather, CommGroup([GroupDim(size: 2, stride: 1), GroupDim(size: 4, stride: 16)])),
            (.allReduce, CommGroup(size: 32, stride: 2)),
        ]
        for (k, (spec, n)) in specs.enumerated() {
            // Routing policies differ only on fat-trees; try both on the first.
            for routing in k == 0 ? RoutingPolicy.allCases : [.destinationModK] {
                var fast = FlowNetwork.Options(), full = FlowNetwork.Options()
                fast.routing = routing; full.routing = routing
                full.symmetry = false
                let c = NetFixtures.cluster(spec, n)
                let a = FlowNetwork(cluster: c, options: fast), b = FlowNetwork(cluster: c, options: full)
                for (kind, g) in requests {
                    for alg in a.candidates(kind, g) + [.halvingDoubling, .hierarchical, .mesh] {
                        let pa = a.profile(kind, g, alg), pb = b.profile(kind, g, alg)
                        XCTAssertEqual(pa == nil, pb == nil)
                        guard let pa, let pb else { continue }
                        XCTAssertEqual(pa.secondsPerByte, pb.secondsPerByte, accuracy: 1e-9 * pb.secondsPerByte,
                                       "\(spec.fabric.kind) \(routing) \(kind) \(g.dims) \(alg)")
                        XCTAssertEqual(pa.latencySeconds, pb.latencySeconds)
                    }
                }
            }
        }
    }

    func testUtilizationReported() {
        let c = NetFixtures.cluster(NetFixtures.h800(), 128)
        let net = FlowNetwork(cluster: c)
        let u = net.linkUtilization(CollectiveRequest(kind: .allToAll, bytes: GiB, group: CommGroup(size: 16, stride: 8), label: "ep"))
        let leaf = u.first { $0.tier == "leaf" }
        XCTAssertNotNil(leaf)
        XCTAssertEqual(leaf?.max ?? 0, 1, accuracy: 0.01)
        let cost = net.cost(CollectiveRequest(kind: .allToAll, bytes: GiB, group: CommGroup(size: 16, stride: 8), label: "ep"))
        XCTAssertEqual(cost.perTier.values.reduce(0, +), cost.seconds, accuracy: 1e-12)
    }
}
