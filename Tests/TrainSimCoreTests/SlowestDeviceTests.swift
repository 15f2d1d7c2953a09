import XCTest
@testable import TrainSimCore

/// A synchronous step runs at the pace of its slowest device. With device speeds spread normally
/// around the mean (`efficiency.speedSpread`, σ), a job of N devices runs at the expected slowest of
/// N: a share 1 − σ·E[max of N standard normals] of a typical device's speed.
final class SlowestDeviceTests: XCTestCase {
    typealias N = NormalOrderStatistics

    /// The quantile function against known values, and the expected maxima against the exact ones
    /// of the tables of normal order statistics (Blom's approximation is within 0.03 at n = 2 and
    /// within 0.02 from n = 8).
    func testExpectedMaximumOfNormals() {
        XCTAssertEqual(N.inverseNormal(0.5), 0, accuracy: 1e-12)
        XCTAssertEqual(N.inverseNormal(0.975), 1.959963985, accuracy: 1e-8)
        XCTAssertEqual(N.inverseNormal(0.999), 3.090232306, accuracy: 1e-7)
        XCTAssertEqual(N.inverseNormal(0.025), -1.959963985, accuracy: 1e-8)
        XCTAssertEqual(N.expectedMaximum(of: 1), 0)
        XCTAssertEqual(N.expectedMaximum(of: 2), 0.5642, accuracy: 0.03)
        XCTAssertEqual(N.expectedMaximum(of: 8), 1.4236, accuracy: 0.02)
        XCTAssertEqual(N.expectedMaximum(of: 100), 2.5076, accuracy: 0.01)
        var last = 0.0
        for n in [2, 3, 8, 64, 512, 4096, 16_384, 100_000, 1_000_000] {
            let z = N.expectedMaximum(of: n)
            XCTAssertGreaterThan(z, last, "n = \(n)")
            last = z
        }
    }

    func experiment(devices: Int, topology: String = "h100-ib") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": \(devices * 4), "precision": "bf16",
                      "recompute": "none"},
         "cluster": {"topology": "\(topology)", "devices": \(devices)}, "parallelism": {"tp": 1, "zero": 1}}
        """), file: "c.json", folder: nil)
    }

    /// One device has no slower peer; N devices take exactly 1 / (1 − σ·E[max of N]) longer for
    /// every GEMM, attention and memory-bound kernel; the share never rises with N.
    func testComputeRunsAtTheSlowestDevicesPace() throws {
        let one = ComputeModel(experiment: try experiment(devices: 1))
        XCTAssertEqual(one.speedShare, 1)
        let e = try experiment(devices: 512)
        let c = ComputeModel(experiment: e)
        let sigma = c.device.speedSpread
        XCTAssertEqual(sigma, 0.01, "the gh100 silicon file's spread")
        XCTAssertEqual(c.speedShare, 1 - sigma * N.expectedMaximum(of: 512), accuracy: 1e-15)
        var typical = c
        typical.speedShare = 1
        let g = GemmWork(flops: 1e15, callFLOPs: 1e12)
        XCTAssertEqual(c.gemmSeconds(g) * c.speedShare, typical.gemmSeconds(g), accuracy: 1e-12)
        XCTAssertEqual(c.attentionSeconds(1e14, callFLOPs: 1e12) * c.speedShare, typical.attentionSeconds(1e14, callFLOPs: 1e12), accuracy: 1e-12)
        XCTAssertEqual(c.memorySeconds(1e12) * c.speedShare, typical.memorySeconds(1e12), accuracy: 1e-12)
        var last = 1.0
        for n in [1, 2, 8, 64, 1024, 16_384, 100_000] {
            let share = c.device.slowestShare(of: n)
            XCTAssertLessThanOrEqual(share, last, "n = \(n)")
            last = share
        }
        // A device file without a spread gives none: every share is 1.
        let bare = try DeviceSpec.decode(try JSONParser.parse(Self.deviceFile(spread: nil)), id: "x", file: "x.json")
        XCTAssertEqual(bare.speedSpread, 0)
        XCTAssertEqual(bare.slowestShare(of: 16_384), 1)
        // Every shipped part has one (an estimate carried over where none is measured), so designs compare alike.
        let ascend = ComputeModel(experiment: try experiment(devices: 512, topology: "ascend-910b-a2"))
        XCTAssertEqual(ascend.speedShare, c.speedShare, accuracy: 1e-15)
    }

    static func deviceFile(spread: Double?) -> String {
        """
        {"schemaVersion": 1, "name": "x", "vendor": "v",
         "peakTFLOPs": {"bf16": {"value": 100, "source": "s"}},
         "hbmGiB": {"value": 80, "source": "s"}, "hbmGBps": {"value": 2000, "source": "s"}, "tdpWatts": {"value": 400, "source": "s"},
         "efficiency": {"gemm": {"points": [[1e9, 0.5], [1e12, 0.7]], "source": "s"}\(spread.map { ", \"speedSpread\": {\"value\": \($0), \"source\": \"s\"}" } ?? "")}}
        """
    }

    /// Per device, the same work on more devices is never faster: tokens per second per device of
    /// a data-parallel plan with the same micro-batches per device does not rise from 8 to 1,024.
    func testMoreDevicesNeverRaiseComputeSpeed() throws {
        var lastCompute = 0.0, lastRate = Double.infinity
        for n in [8, 64, 1024] {
            let r = try Engine(try experiment(devices: n)).step()
            XCTAssertGreaterThanOrEqual(r.breakdown.compute, lastCompute, "n = \(n)")
            let perDevice = r.tokensPerStep / Double(n) / r.stepSeconds
            XCTAssertLessThan(perDevice, lastRate, "n = \(n)")
            lastCompute = r.breakdown.compute
            lastRate = perDevice
        }
    }

    /// The report says what pace the compute ran at (JSON `slowestDevice`, and a line under the breakdown).
    func testReportNamesTheSlowestDevicesPace() throws {
        let e = try experiment(devices: 64)
        let a = try Analysis.analyze(e)
        let share = ComputeModel(experiment: e).speedShare
        guard case .number(let reported)? = a.reportJSON()["slowestDevice"]?["speedShare"],
              case .number(let devices)? = a.reportJSON()["slowestDevice"]?["devices"] else { return XCTFail("no slowestDevice in the report") }
        XCTAssertEqual(reported, Analysis.round(share))
        XCTAssertEqual(devices, 64)
        XCTAssertTrue(a.text().contains("compute at \(Fmt.fixed(share, 3)) of a typical device's speed: the slowest of 64"), a.text())
    }

    /// A spread outside 0...0.1 is refused with a one-line error naming the key.
    func testSpreadOutOfRangeIsAClearError() throws {
        let doc = Self.deviceFile(spread: 0.5)
        XCTAssertThrowsError(try DeviceSpec.decode(try JSONParser.parse(doc), id: "x", file: "x.json")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("speedSpread"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
