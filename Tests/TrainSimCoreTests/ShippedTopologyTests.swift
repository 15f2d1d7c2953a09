import Foundation
import XCTest
@testable import TrainSimCore

/// The shipped hardware data: every file decodes, every figure carries its source and
/// confidence, and every design reaches the cluster sizes the shipped experiments use.
final class ShippedTopologyTests: XCTestCase {
    /// Designs that must ship, with the device counts they must be able to build.
    static let expectedTopologies: [String: [Int]] = [
        "a100-80g-ib": [8, 3072],
        "a100-40g-ib": [8, 1024],
        "a800-roce": [8, 1024],
        "h100-ib": [8, 16_384, 100_000],
        "h100-ib-oversub2": [8, 16_384],
        "h100-roce": [8, 3072, 24_576],
        "h200-ib": [8, 16_384],
        "h800-ib": [8, 2048],
        "h800-hpn-dualplane": [8, 1024, 15_360],
        "h20-roce": [8, 1024],
        "ascend-910b-a2": [8, 8192],
        "ascend-910c-a3": [8, 1024],
        "cloudmatrix384": [384, 6144],
        "kunlunxin-p800": [8, 1024],
        "hygon-k100": [8, 1024],
        "cambricon-mlu590": [8, 1024],
    ]

    static let expectedDevices = [
        "a100-80g", "a100-40g", "a800", "h100", "h800", "h20", "h200",
        "ascend-910b", "ascend-910c", "kunlunxin-p800", "hygon-k100", "cambricon-mlu590",
    ]

    /// Keys whose numbers are structure (counts, radices, versions, curve points), not sourced figures.
    static let structuralKeys: Set<String> = [
        "schemaVersion", "devicesPerNode", "nicsPerNode", "switchRadix", "domainDevices", "planes",
        "torusDims", "maxDevices", "dragonflyGroupSwitches", "dragonflyGlobalLinksPerSwitch", "points",
    ]

    /// Designs whose figures are estimates throughout; their descriptions must say so.
    static let estimateDesigns = ["kunlunxin-p800", "hygon-k100", "cambricon-mlu590"]

    // MARK: - Files

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func jsonFiles(_ folder: String) -> [URL] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
    }

    static func name(_ url: URL) -> String { url.deletingPathExtension().lastPathComponent }

    func testExpectedPresetsExist() {
        let topologies = Set(Self.jsonFiles("Topologies").map(Self.name))
        let devices = Set(Self.jsonFiles("Topologies/devices").map(Self.name))
        for t in Self.expectedTopologies.keys.sorted() {
            XCTAssertTrue(topologies.contains(t), "Topologies/\(t).json is missing")
        }
        for d in Self.expectedDevices {
            XCTAssertTrue(devices.contains(d), "Topologies/devices/\(d).json is missing")
        }
        // The locator that experiments use finds them too (the package root is the current folder under `swift test`).
        let located = Set(DataLocator.presets(in: "Topologies"))
        for t in Self.expectedTopologies.keys.sorted() {
            XCTAssertTrue(located.contains(t), "DataLocator does not list \(t)")
        }
    }

    // MARK: - Decoding

    func testEveryDeviceDecodes() {
        let files = Self.jsonFiles("Topologies/devices")
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let id = Self.name(url)
            do {
                let d = try DeviceSpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "accelerator")
                XCTAssertEqual(d.id, id)
                XCTAssertGreaterThan(d.peakFLOPs(.bf16), 0, id)
                XCTAssertGreaterThan(d.hbmGiB, d.reservedGiB, id)
                // Curves are fractions of peak that rise (or stay flat) with size.
                for (label, c) in [("gemm", d.gemmEfficiency), ("attention", d.attentionEfficiency)] {
                    for k in c.points.indices.dropFirst() {
                        XCTAssertGreaterThanOrEqual(c.points[k].y, c.points[k - 1].y, "\(id) \(label) curve falls at x = \(c.points[k].x)")
                    }
                }
                // An fp8 peak only where fp8 units exist; then fp8 GEMMs reach a smaller share of it.
                if let fp8 = d.peakTFLOPs["fp8"] {
                    XCTAssertGreaterThan(fp8, d.peakTFLOPs["bf16"]!, id)
                    XCTAssertLessThan(d.fp8GemmEfficiencyFactor, 1, id)
                } else {
                    XCTAssertEqual(d.fp8GemmEfficiencyFactor, 1, "\(id) has no fp8 peak, so fp8GemmFactor should be 1")
                }
            } catch {
                XCTFail("\(id): \(error)")
            }
        }
    }

    func testEveryTopologyDecodes() {
        let files = Self.jsonFiles("Topologies")
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let id = Self.name(url)
            do {
                let t = try TopologySpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "cluster.topology")
                XCTAssertEqual(t.id, id)
                XCTAssertFalse(t.description.isEmpty, "\(id) has no description")
                XCTAssertLessThanOrEqual(t.node.scaleUp.efficiency, 1, id)
                XCTAssertLessThanOrEqual(t.fabric.efficiency, 1, id)
            } catch {
                XCTFail("\(id): \(error)")
            }
        }
    }

    func testTierNamesMustBeDistinct() throws {
        let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/Topologies/h100-ib.json")
        let json = try JSONParser.parse(Data(contentsOf: url))
        for bad in ["scale-up", "spine"] {
            let edited = json.setting(["fabric", "tiers"], to: .array([
                .object([("name", .string("spine")), ("switchRadix", .number(64))]),
                .object([("name", .string(bad)), ("switchRadix", .number(64))])]))
            XCTAssertThrowsError(try TopologySpec.decode(edited, id: "t", file: "t.json", folder: url.deletingLastPathComponent())) { e in
                XCTAssertTrue("\(e)".contains("fabric.tiers[1].name"), "\(e)")
            }
        }
    }

    // MARK: - Sources

    func testEveryFigureHasSourceAndConfidence() throws {
        let files = Self.jsonFiles("Topologies") + Self.jsonFiles("Topologies/devices") + Self.jsonFiles("Topologies/devices/silicon")
            // accuracy.json holds no modelling constant: it is validate's measured output, written by
            // Tests/Calibration/fit.py, with one source for the whole file (ValidatedAccuracyTests checks it).
            + Self.jsonFiles("Topologies/run").filter { $0.lastPathComponent != "accuracy.json" } + Self.jsonFiles("Topologies/frameworks")
        XCTAssertTrue(files.contains { $0.lastPathComponent == "gh100.json" })
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let json = try JSONParser.parse(Data(contentsOf: url))
            var problems: [String] = []
            Self.checkSourced(json, path: "", problems: &problems)
            XCTAssertTrue(problems.isEmpty, "\(url.lastPathComponent):\n  " + problems.joined(separator: "\n  "))
        }
    }

    /// Walks a raw JSON value: every number (and a stack file's flags) must sit in a `{"value", "source", "confidence"}` object,
    /// every curve (`{"points", ...}`) must carry a source and confidence, except structural keys.
    static func checkSourced(_ v: JSONValue, path: String, problems: inout [String]) {
        func sub(_ k: String) -> String { path.isEmpty ? k : path + "." + k }
        switch v {
        case .object(let pairs):
            if v["value"] != nil || v["points"] != nil {
                if let value = v["value"] {
                    switch value {
                    case .number, .bool, .string: break  // figures, and the flags and choices of Topologies/frameworks/
                    case .array(let items) where !items.isEmpty && items.allSatisfy({ if case .string = $0 { true } else { false } }):
                        break  // a stack's list of choices (its pipeline schedules)
                    default: problems.append("\(path): value is not a number, a flag or a list of choices")
                    }
                }
                if case .string(let s)? = v["source"], !s.trimmingCharacters(in: .whitespaces).isEmpty {} else {
                    problems.append("\(path): missing or empty \"source\"")
                }
                if case .string(let c)? = v["confidence"], Sourced.confidences.contains(c) {} else {
                    problems.append("\(path): \"confidence\" must be one of \(Sourced.confidences.joined(separator: ", "))")
                }
                return
            }
            for (k, x) in pairs {
                if structuralKeys.contains(k) { continue }
                switch x {
                case .number: problems.append("\(sub(k)): a bare number; write {\"value\", \"source\", \"confidence\"}")
                case .object, .array: checkSourced(x, path: sub(k), problems: &problems)
                default: break
                }
            }
        case .array(let items):
            for (i, x) in items.enumerated() {
                if case .number = x {
                    problems.append("\(path)[\(i)]: a bare number")
                } else {
                    checkSourced(x, path: "\(path)[\(i)]", problems: &problems)
                }
            }
        default:
            break
        }
    }

    func testEstimateDesignsSaySo() throws {
        for id in Self.estimateDesigns {
            let t = try TopologySpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "cluster.topology")
            XCTAssertTrue(t.description.lowercased().contains("estimate"), "\(id): description must say its figures are estimates")
            for key in ["peakTFLOPs.bf16", "hbmGBps"] {
                XCTAssertTrue(t.device.sources[key]?.hasSuffix("[UNC]") ?? false, "\(id): \(key) should be labelled UNC")
            }
        }
    }

    // MARK: - Capacity

    func testDesignsReachTheirSizes() throws {
        for (id, sizes) in Self.expectedTopologies.sorted(by: { $0.key < $1.key }) {
            let spec = try TopologySpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "cluster.topology")
            for n in sizes {
                XCTAssertNoThrow(try Cluster(spec: spec, devices: n), "\(id) cannot build \(n) devices")
            }
        }
    }

    func testCapacitiesAreStable() throws {
        // The largest device count each design reaches (Cluster.capacity), so a data edit that shrinks
        // a design below what the experiments use shows up here, with the reason.
        let expected: [String: Int] = [
            "h800-ib": 16_384, "h100-roce": 24_576, "h800-hpn-dualplane": 15_360, "cloudmatrix384": 24_576,
        ]
        for (id, cap) in expected.sorted(by: { $0.key < $1.key }) {
            let spec = try TopologySpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "cluster.topology")
            let c = try Cluster(spec: spec, devices: spec.node.devicesPerNode)
            XCTAssertEqual(c.maxDevices, cap, "\(id): \(c.maxDevicesReason)")
            XCTAssertThrowsError(try Cluster(spec: spec, devices: cap + spec.node.devicesPerNode), id)
        }
        // A supernode design's leaf serves whole supernodes, so supernodes never straddle leaves.
        let cm = try Cluster(spec: TopologySpec.load("cloudmatrix384", relativeTo: nil, referencedFrom: nil, keyPath: "cluster.topology"), devices: 6144)
        XCTAssertEqual(cm.domainDevices, 384)
        XCTAssertEqual(cm.nodesPerTierSubtree.first.map { $0 * cm.devicesPerNode }, 384)
    }

    /// The DGX H200 design is the DGX H100 one with the H200's memory: the same plan runs at least
    /// as fast on it (same compute and links, more HBM bandwidth) and fits where an H100 does not.
    func testH200DesignIsH100WithMoreMemory() throws {
        func plan(_ topology: String, recompute: String, pp: Int = 2) throws -> Analysis {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-70b",
             "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 256, "microBatchSequences": 1,
                          "precision": "bf16", "recompute": "\(recompute)"},
             "cluster": {"topology": "\(topology)", "devices": 64},
             "parallelism": {"tp": 8, "pp": \(pp), "zero": 1, "sequenceParallel": true}}
            """), file: "h200.json", folder: nil)
            return try Analysis.analyze(e)
        }
        for recompute in ["none", "selective", "full"] {
            let h100 = try plan("h100-ib", recompute: recompute), h200 = try plan("h200-ib", recompute: recompute)
            XCTAssertLessThanOrEqual(h200.step.stepSeconds, h100.step.stepSeconds, recompute)
            XCTAssertGreaterThan(h200.step.stepSeconds, 0.9 * h100.step.stepSeconds, recompute)
            XCTAssertTrue(h200.fits, recompute)
        }
        // Without pipelining, 8.8 B parameters a device and their optimizer states.
        XCTAssertFalse(try plan("h100-ib", recompute: "none", pp: 1).fits)
        XCTAssertTrue(try plan("h200-ib", recompute: "none", pp: 1).fits)
    }
}
