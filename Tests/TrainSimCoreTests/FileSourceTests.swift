import Foundation
import XCTest
@testable import TrainSimCore

/// What rank 0 records while it reads an experiment is everything any rank needs: replaying the
/// record, with the files gone from the disk, gives every sweep point byte for byte.
final class FileSourceTests: XCTestCase {
    func testReplayingTheRecordGivesEverySweepPointWithoutTheDisk() throws {
        let saved = FileSource.current
        defer { FileSource.current = saved }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("trainsim-filesource-\(UUID().uuidString)")
        try fm.createDirectory(at: dir.appendingPathComponent("devices"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let home = try XCTUnwrap(DataLocator.home)
        try fm.copyItem(at: home.appendingPathComponent("Topologies/a100-80g-ib.json"), to: dir.appendingPathComponent("mine.json"))
        try fm.copyItem(at: home.appendingPathComponent("Topologies/devices/a100-80g.json"), to: dir.appendingPathComponent("devices/a100-80g.json"))
        try #"{"preset": "llama3-8b"}"#.write(to: dir.appendingPathComponent("m.json"), atomically: true, encoding: .utf8)
        try #"{"schemaVersion": 1, "tier": "scale-out", "pointToPoint": {"bandwidthGBps": 20, "alphaUs": 4}}"#
            .write(to: dir.appendingPathComponent("link.json"), atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("sweep.json").path
        try """
        {"name": "replay", "model": "./m.json",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256},
         "cluster": {"topology": "mine.json", "devices": 64, "linkProfile": "link.json"},
         "parallelism": {"tp": 2, "pp": 2},
         "sweep": {"training.framework": ["nemo", {"stack": "deepspeed"}, "nowhere"],
                   "cluster.topology": ["mine.json", "h100-ib", "missing.json"], "parallelism.tp": [1, 2]}}
        """.write(toFile: path, atomically: true, encoding: .utf8)

        FileSource.current = FileSource()
        let plan = try SweepPlan.load(path: path)
        let expected = (0..<plan.count).map { plan.evaluate($0).jsonLine }
        XCTAssertEqual(expected.filter { $0.contains("\"status\":\"ok\"") }.count, 8)

        let recorder = FileSource(mode: .recording)
        FileSource.current = recorder
        Experiment.readFiles(path: path)
        _ = try SweepPlan.load(path: path)
        let record = recorder.record
        for name in ["sweep.json", "m.json", "link.json", "mine.json", "devices/a100-80g.json"] {
            XCTAssertTrue(record.reads.keys.contains { $0.hasSuffix("/" + name) }, name)
        }
        let unpacked = try XCTUnwrap(FileRecord(packed: record.packed()))
        XCTAssertEqual(unpacked, record)
        XCTAssertNil(FileRecord(packed: record.packed().dropLast()))

        try fm.removeItem(at: dir)
        let replay = FileSource(mode: .replaying, record: unpacked)
        FileSource.current = replay
        let replayed = try SweepPlan.load(path: path)
        XCTAssertEqual((0..<replayed.count).map { replayed.evaluate($0).jsonLine }, expected)
        XCTAssertEqual(replay.record.misses, [])
    }
}
