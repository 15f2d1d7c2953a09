import XCTest
@testable import TrainSimCore

/// Topology variants for network tests, derived from the shipped h800-ib design.
enum NetFixtures {
    static func h800() -> TopologySpec {
        try! TopologySpec.load("h800-ib", relativeTo: nil, referencedFrom: nil, keyPath: "test")
    }

    static func spec(_ edit: (inout TopologySpec) -> Void) -> TopologySpec {
        var s = h800()
        edit(&s)
        return s
    }

    static func cluster(_ spec: TopologySpec, _ devices: Int) -> Cluster {
        try! Cluster(spec: spec, devices: devices)
    }

    static func torus(_ dims: [Int]) -> TopologySpec {
        spec {
            $0.fabric.kind = "torus"
            $0.fabric.torusDims = dims
            $0.fabric.railOptimized = false
            $0.fabric.tiers = [FabricTier(name: "torus", switchRadix: 8, oversubscription: 1, latencyUs: 0.3)]
        }
    }

    static func dragonfly(g: Int, h: Int) -> TopologySpec {
        spec {
            $0.fabric.kind = "dragonfly"
            $0.fabric.railOptimized = false
            $0.fabric.dragonflyGroupSwitches = g
            $0.fabric.dragonflyGlobalLinksPerSwitch = h
            $0.fabric.tiers = [FabricTier(name: "switch", switchRadix: 32, oversubscription: 1, latencyUs: 0.3)]
        }
    }

    /// Ascend-910B-like node: 8 devices in an HCCS full mesh, 8 NICs, no rails.
    static func mesh() -> TopologySpec {
        spec {
            $0.node.scaleUp.kind = "mesh"
            $0.node.scaleUp.linkGBps = 196
            $0.fabric.railOptimized = false
        }
    }

    /// CloudMatrix-like supernode: 384 devices on one scale-up switch fabric spanning 48 nodes.
    static func supernode() -> TopologySpec {
        spec {
            $0.node.scaleUp.kind = "supernode"
            $0.node.scaleUp.domainDevices = 384
            $0.node.scaleUp.inNetworkReduction = true
        }
    }
}

extension XCTestCase {
    /// Checks that every route is a connected path from a to b (single plane graphs).
    func assertRouteConnected(_ g: TopologyGraph, _ a: Int, _ b: Int, file: StaticString = #filePath, line: UInt = #line) {
        var buf = RouteBuffer()
        g.route(a, b, into: &buf)
        if a == b { XCTAssertEqual(buf.count, 0, file: file, line: line); return }
        guard g.planes == 1 else { return }
        XCTAssertGreaterThan(buf.count, 0, "no route \(a) -> \(b)", file: file, line: line)
        guard let first = buf.links.first, let last = buf.links.last else { return }
        XCTAssertEqual(Int(g.linkSrc[Int(first)]), a, "route \(a) -> \(b) starts elsewhere", file: file, line: line)
        XCTAssertEqual(Int(g.linkDst[Int(last)]), b, "route \(a) -> \(b) ends elsewhere", file: file, line: line)
        for i in 1..<buf.count {
            XCTAssertEqual(g.linkDst[Int(buf.links[i - 1])], g.linkSrc[Int(buf.links[i])], "route \(a) -> \(b) breaks at hop \(i)", file: file, line: line)
            XCTAssertGreaterThan(g.linkCapacity[Int(buf.links[i])], 0, file: file, line: line)
        }
    }
}
