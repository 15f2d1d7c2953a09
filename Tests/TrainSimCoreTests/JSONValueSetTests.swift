import XCTest
@testable import TrainSimCore

/// Setting key paths in place (`JSONValue.set`, what a sweep point does to its base document)
/// gives the same document as setting them on copies (`setting`), the document the paths
/// describe, and leaves the document it was copied from as it was.
final class JSONValueSetTests: XCTestCase {
    func testSetEqualsSettingAndLeavesTheOriginal() throws {
        let base = try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "recompute": "none"},
         "parallelism": {"tp": 2, "pp": 1}, "cluster": {"topology": "h800-ib", "devices": 64}, "cost": 3}
        """)
        let before = base
        let assignments: [([String], JSONValue)] = [
            (["parallelism", "tp"], .number(8)), (["parallelism", "vpp"], .number(2)), (["training", "recompute"], .string("full")),
            (["cluster", "devices"], .number(1024)), (["cost", "pricePerDeviceHour"], .number(2.5)), (["new", "deep", "key"], .bool(true)),
            (["model"], .string("llama3-70b")), (["parallelism", "tp"], .number(4)), (["parallelism"], .object([("pp", .number(4))])),
            (["parallelism", "cp"], .number(2)),
        ]
        var inPlace = base, copied = base
        for (path, value) in assignments {
            inPlace.set(path[...], to: value)
            copied = copied.setting(path, to: value)
            XCTAssertEqual(inPlace, copied, path.joined(separator: "."))
        }
        XCTAssertEqual(base, before)
        XCTAssertEqual(JSONWriter.write(inPlace, pretty: false), JSONWriter.write(copied, pretty: false))
        // And the document is the one the paths describe, in order (a later path wins; an object
        // set whole replaces what was set inside it before).
        XCTAssertEqual(inPlace, try JSONParser.parse("""
        {"model": "llama3-70b", "training": {"tokens": 1e12, "recompute": "full"},
         "parallelism": {"pp": 4, "cp": 2}, "cluster": {"topology": "h800-ib", "devices": 1024},
         "cost": {"pricePerDeviceHour": 2.5}, "new": {"deep": {"key": true}}}
        """))
    }
}
