import Foundation
import TrainSimCore
import XCTest
@testable import TrainSimMPI

/// The profile `calibrate --write` writes is the one TrainSimCore reads: its tier, bandwidth and
/// latency become the design's for that tier. (Calibrating itself takes minutes on a loaded host,
/// so the profile here is built in memory and written by the same code.)
final class CalibrationProfileTests: XCTestCase {
    func result(hosts: Int?, tier: String?, gbps: Double, alphaUs: Double) -> TrainSimMPI.CalibrationResult {
        TrainSimMPI.CalibrationResult(host: "node17", ranks: 2, hosts: hosts, tier: tier, mpiLibrary: "Open MPI", chunkBytes: 262_144,
                          pointToPoint: .init(alphaUs: alphaUs, betaUsPerByte: 1e-3 / gbps, bandwidthGBps: gbps),
                          gammaUsPerByte: 1e-4, algorithms: [], measurements: [])
    }

    func profile(_ r: TrainSimMPI.CalibrationResult) throws -> LinkProfile {
        try LinkProfile.decode(try JSONParser.parse(try r.profileJSON()), file: "host.json")
    }

    func testAWrittenProfileSetsTheTierItMeasured() throws {
        let design = try TopologySpec.load("a100-80g-ib", relativeTo: nil, referencedFrom: nil, keyPath: "test")
        // One host: the scale-up links (NVLink: 300 GB/s nominal), measured at 117 GB/s and 2.5 us.
        let up = try profile(result(hosts: 1, tier: "scale-up", gbps: 117, alphaUs: 2.5))
        XCTAssertEqual(up.tier, .scaleUp)
        let s = design.applying(up)
        XCTAssertEqual(s.node.scaleUp.linkGBps * s.node.scaleUp.efficiency, 117, accuracy: 1e-9)
        XCTAssertEqual(s.node.scaleUp.latencyUs, 2.5)
        XCTAssertEqual(s.fabric, design.fabric)
        XCTAssertEqual(s.node.nicGBps, design.node.nicGBps)
        let c = try Cluster(spec: s, devices: 64)
        XCTAssertEqual(c.scaleUpBytesPerSecond, 117e9, accuracy: 1)
        // Several hosts: the fabric, per device; a link faster than the design's nominal NIC raises it.
        let out = try profile(result(hosts: 2, tier: "scale-out", gbps: 40, alphaUs: 6))
        XCTAssertEqual(out.tier, .scaleOut)
        let o = try Cluster(spec: design.applying(out), devices: 64)
        XCTAssertEqual(o.scaleOutBytesPerSecond, 40e9, accuracy: 1)
        XCTAssertEqual(o.latency(level: 1), 6e-6, accuracy: 1e-12)
        XCTAssertEqual(o.spec.node.scaleUp, design.node.scaleUp)
        // A profile from before tiers were recorded: one host means scale-up, several scale-out.
        XCTAssertEqual(try profile(result(hosts: nil, tier: nil, gbps: 10, alphaUs: 1)).tier, .scaleUp)
        XCTAssertEqual(try profile(result(hosts: 4, tier: nil, gbps: 10, alphaUs: 1)).tier, .scaleOut)
    }
}
