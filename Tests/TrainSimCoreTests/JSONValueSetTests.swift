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

    /// `value(dotted:)` (what a sweep's tables read a report with) finds what `value(at:)` finds
    /// with the path split on its dots, empty parts dropped, for present and absent paths.
    func testDottedPathEqualsTheSplitPath() throws {
        let doc = try JSONParser.parse("""
        {"stepTimeSeconds": 1.5, "breakdown": {"compute": 1.2, "tp": 0}, "cost": {"currency": "USD", "total": 7},
         "exposedCommunicationByTier": {"scale-up": 0.1, "": 3}, "plan": {"topology": "h800-ib", "nested": {"deep": [1, 2]}},
         "ünïcode": {"kéy": true}}
        """)
        let paths = ["stepTimeSeconds", "breakdown.compute", "breakdown.tp", "breakdown", "cost.currency", "cost.total",
                     "exposedCommunicationByTier.scale-up", "plan.nested.deep", "plan.nested", "ünïcode.kéy", "",
                     ".breakdown..compute.", "breakdown.missing", "missing", "missing.deeper", "stepTimeSeconds.more",
                     "plan.topology.x", "exposedCommunicationByTier.", "..."]
        for path in paths {
            XCTAssertEqual(doc.value(dotted: path), doc.value(at: path.split(separator: ".").map(String.init)), "'\(path)'")
        }
        XCTAssertEqual(doc.value(dotted: "breakdown.compute"), .number(1.2))
        XCTAssertNil(doc.value(dotted: "breakdown.missing"))
    }
}
