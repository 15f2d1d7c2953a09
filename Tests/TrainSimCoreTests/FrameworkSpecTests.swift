import XCTest
@testable import TrainSimCore

/// The software stacks of Topologies/frameworks/: each flag sourced, the "megatron" alias, and
/// the experiment's override object (`training.framework: {"stack": ..., FLAG: value}`).
final class FrameworkSpecTests: XCTestCase {
    static let shipped = ["megatron-core", "nemo", "pytorch-fsdp", "deepspeed", "mindspeed", "internlm"]

    func experiment(framework: String) throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 64, "framework": \(framework)},
         "cluster": {"topology": "h100-ib", "devices": 16}, "parallelism": {"tp": 2, "pp": 1}}
        """), file: "test.json", folder: nil)
    }

    func load(_ id: String) throws -> FrameworkSpec {
        try FrameworkSpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
    }

    func testEveryShippedStackLoadsWithEveryFlagSourced() throws {
        XCTAssertEqual(DataLocator.presets(in: "Topologies/frameworks"), Self.shipped.sorted())
        for id in Self.shipped {
            let f = try load(id)
            XCTAssertEqual(f.id, id)
            let url = DataLocator.home!.appendingPathComponent("Topologies/frameworks/\(id).json")
            let json = try JSONParser.parse(Data(contentsOf: url))
            for key in FrameworkSpec.flagKeys {
                guard let v = json[key] else { XCTFail("\(id): \(key) missing"); continue }
                guard case .string(let s)? = v["source"], !s.isEmpty, !s.contains("frameworks.md"), !s.contains("shared/") else {
                    XCTFail("\(id): \(key) needs a primary source"); continue
                }
                guard case .string(let c)? = v["confidence"], Sourced.confidences.contains(c) else {
                    XCTFail("\(id): \(key) needs a confidence"); continue
                }
                XCTAssertNotNil(f.sources[key], "\(id): \(key)")
            }
            XCTAssertEqual(f.source, f.sources["efficiencyFactor"])
        }
        // The factors stay as calibrated.
        XCTAssertEqual(try load("megatron-core").efficiencyFactor, 1)
        XCTAssertEqual(try load("mindspeed").efficiencyFactor, 1)
        XCTAssertEqual(try load("internlm").efficiencyFactor, 0.86)
    }

    func testStacksStateTheirMechanisms() throws {
        let m = try load("megatron-core")
        XCTAssertTrue(m.tpAsyncBackward && m.overlapGradReduce && m.p2pBlocking)
        XCTAssertFalse(m.overlapParamGather || m.tpCommOverlap || m.gradReduceEveryMicroBatch)
        XCTAssertEqual(m.gradReduceBytes, 4)
        XCTAssertEqual(m.bucketParameters, 40e6)
        let n = try load("nemo")
        XCTAssertTrue(n.tpCommOverlap && n.overlapGradReduce && n.overlapParamGather && n.tpAsyncBackward)
        XCTAssertEqual(n.bucketParameters, 128 * 1024 * 1024)
        XCTAssertEqual(n.overlapSMShare, 0.15)
        let fsdp = try load("pytorch-fsdp")
        XCTAssertTrue(fsdp.gradReduceEveryMicroBatch && fsdp.zero3Prefetch && fsdp.overlapGradReduce)
        XCTAssertFalse(fsdp.tpAsyncBackward)
        let ds = try load("deepspeed")
        XCTAssertFalse(ds.overlapGradReduce)
        XCTAssertEqual(ds.gradReduceBytes, 2)
        XCTAssertEqual(ds.bucketParameters, 5e8)
        let ms = try load("mindspeed")
        XCTAssertTrue(ms.tpAsyncBackward && ms.overlapGradReduce)
        XCTAssertFalse(ms.tpCommOverlap || ms.moeAllToAllOverlap)
        XCTAssertFalse(try load("internlm").tpAsyncBackward)
        // The pipeline schedules each stack runs.
        XCTAssertEqual(m.schedules, ["1f1b", "interleaved"])
        XCTAssertEqual(n.schedules, ["1f1b", "interleaved"])
        XCTAssertEqual(ds.schedules, ["1f1b"])
        XCTAssertEqual(ms.schedules, ["1f1b", "interleaved", "dualpipe"])
        XCTAssertEqual(fsdp.schedules, PipelineSchedule.allCases.map(\.rawValue))
    }

    /// A search whose space lists no schedules tries those the stack runs, and the experiment's own.
    func testSearchTriesTheSchedulesTheStackRuns() throws {
        func schedules(_ framework: String, own: String = "1f1b") throws -> [PipelineSchedule] {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 64, "framework": \(framework)},
             "cluster": {"topology": "h100-ib", "devices": 16}, "parallelism": {"tp": 2, "pp": 2, "schedule": "\(own)"},
             "search": {"objective": "time"}}
            """), file: "test.json", folder: nil)
            return try SearchSpace(e).schedule
        }
        XCTAssertEqual(try schedules(#""megatron-core""#), [.oneFOneB, .interleaved])
        XCTAssertEqual(try schedules(#""megatron-core""#, own: "dualpipe"), [.oneFOneB, .interleaved, .dualpipe])
        XCTAssertEqual(try schedules(#""deepspeed""#), [.oneFOneB])
        XCTAssertEqual(try schedules(#""mindspeed""#), [.oneFOneB, .interleaved, .dualpipe])
        XCTAssertEqual(try schedules(#""pytorch-fsdp""#), PipelineSchedule.allCases)
        XCTAssertEqual(try schedules(#"{"stack": "megatron-core", "schedules": ["1f1b", "zero-bubble"]}"#), [.oneFOneB, .zeroBubble])
    }

    func testReferenceMatchesMegatronCoreFile() throws {
        var file = try load("megatron-core")
        file.name = FrameworkSpec.reference.name
        file.source = nil
        file.sources = [:]
        XCTAssertEqual(file, FrameworkSpec.reference)
    }

    func testMegatronAliasLoadsMegatronCore() throws {
        let alias = try load("megatron")
        XCTAssertEqual(alias.id, "megatron-core")
        XCTAssertEqual(alias, try load("megatron-core"))
        XCTAssertEqual(try experiment(framework: "\"megatron\"").training.framework, alias)
        // Naming nothing gives the reference stack's file.
        let none = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 64},
         "cluster": {"topology": "h100-ib", "devices": 16}, "parallelism": {"tp": 2, "pp": 1}}
        """), file: "test.json", folder: nil)
        XCTAssertEqual(none.training.framework, alias)
        XCTAssertThrowsError(try load("megatrom")) { e in
            XCTAssertTrue("\(e)".contains("did you mean \"megatron\""), "\(e)")
        }
    }

    func testOverrideObjectChangesOnlyTheNamedFlags() throws {
        let e = try experiment(framework: #"{"stack": "nemo", "tpCommOverlap": false, "bucketParameters": 1e7, "tpOverlapSplits": 8}"#)
        var expected = try load("nemo")
        expected.tpCommOverlap = false
        expected.bucketParameters = 1e7
        expected.tpOverlapSplits = 8
        var got = e.training.framework
        XCTAssertEqual(got.sources["tpCommOverlap"], "experiment override")
        XCTAssertEqual(got.id, "nemo")
        got.sources = expected.sources
        XCTAssertEqual(got, expected)
        // "stack" defaults to megatron-core.
        let d = try experiment(framework: #"{"overlapParamGather": true}"#).training.framework
        XCTAssertEqual(d.id, "megatron-core")
        XCTAssertTrue(d.overlapParamGather)
        XCTAssertTrue(d.tpAsyncBackward)
    }

    func testBadOverridesNameTheKeyOnOneLine() {
        let cases: [(String, String, String)] = [
            (#"{"stack": "nemo", "tpCommOverlab": false}"#, "training.framework.tpCommOverlab", "did you mean \"tpCommOverlap\""),
            (#"{"stack": "nemo", "tpCommOverlap": "no"}"#, "training.framework.tpCommOverlap", "expected true or false"),
            (#"{"tpCommOverlap": {"value": true, "source": "x", "confidence": "S"}}"#, "training.framework.tpCommOverlap", "expected true or false"),
            (#"{"gradReduceBytes": 8}"#, "training.framework.gradReduceBytes", "out of range"),
            (#"{"overlapSMShare": -0.1}"#, "training.framework.overlapSMShare", "at least 0"),
            (#"{"tpOverlapSplits": 2.5}"#, "training.framework.tpOverlapSplits", "whole number"),
            (#"{"bucketParameters": "big"}"#, "training.framework.bucketParameters", "expected a number"),
            (#"{"stack": "nemu"}"#, "training.framework.stack", "did you mean \"nemo\""),
            (#"{"stack": 3}"#, "training.framework.stack", "expected a string"),
            (#""deepspeeed""#, "training.framework", "did you mean \"deepspeed\""),
            ("true", "training.framework", "expected a stack name"),
            (#"{"schedules": ["1f1b", "gpipe"]}"#, "training.framework.schedules", "expected some of"),
            (#"{"schedules": []}"#, "training.framework.schedules", "at least one"),
            (#"{"schedules": ["1f1b", "1f1b"]}"#, "training.framework.schedules", "listed twice"),
            (#"{"schedules": "1f1b"}"#, "training.framework.schedules", "expected a list"),
        ]
        for (value, key, words) in cases {
            XCTAssertThrowsError(try experiment(framework: value), value) { e in
                guard let err = e as? TrainSimError else { return XCTFail("\(value): \(e)") }
                let line = "\(err)"
                XCTAssertFalse(line.contains("\n"), line)
                XCTAssertTrue(line.contains(key), "\(value): \(line)")
                XCTAssertTrue(line.contains(words), "\(value): \(line)")
            }
        }
    }

    func testStackFileFlagsMustBeSourcedShapes() throws {
        let r = try ObjectReader(try JSONParser.parse(#"{"a": true, "b": {"value": false, "source": "s", "confidence": "P"}, "c": 1, "d": {"value": 4, "source": "s", "confidence": "S"}, "e": {"value": 2.5}}"#),
                                 path: "", file: "x.json")
        XCTAssertEqual(try r.sourcedBool("a"), SourcedFlag(value: true))
        XCTAssertEqual(try r.sourcedBool("b"), SourcedFlag(value: false, source: "s", confidence: "P"))
        XCTAssertThrowsError(try r.sourcedBool("c")) { XCTAssertTrue("\($0)".contains("c"), "\($0)") }
        XCTAssertEqual(try r.sourcedInt("d", in: 1...64)?.value, 4)
        XCTAssertThrowsError(try r.sourcedInt("e", in: 1...64)) { XCTAssertTrue("\($0)".contains("whole number"), "\($0)") }
    }
}
