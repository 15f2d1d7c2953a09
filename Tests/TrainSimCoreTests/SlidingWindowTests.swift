import XCTest
@testable import TrainSimCore

/// Sliding-window attention: a windowed layer's query i attends to min(i, w) keys, so the score
/// pairs, the attention time and the reported FLOPs all shrink by the closed form.
final class SlidingWindowTests: XCTestCase {
    func model(_ extra: String) throws -> ModelSpec {
        try ModelSpec.decode(try JSONParser.parse(#"{"preset": "llama3-8b"\#(extra)}"#), path: "model", file: "m.json", folder: nil, defaultName: "m")
    }

    func experiment(_ extra: String, seq: Int = 8192) throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": {"preset": "llama3-8b"\(extra)}, "training": {"tokens": 1e12, "sequenceLength": \(seq), "globalBatchSequences": 8, "recompute": "selective"},
         "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 1, "pp": 1, "zero": 1}}
        """), file: "test.json", folder: nil)
    }

    func testShareIsTheClosedForm() throws {
        // 8 tokens, window 2: 1 + 2 x 7 = 15 pairs against 36.
        var m = try model(#", "slidingWindow": 2"#)
        XCTAssertEqual(m.windowedLayers, 32)
        XCTAssertEqual(m.attentionShare(seq: 8), 15.0 / 36, accuracy: 1e-15)
        m.windowedLayers = 16
        XCTAssertEqual(m.attentionShare(seq: 8), 1 - 0.5 * (1 - 15.0 / 36), accuracy: 1e-15)
        // A window as long as the sequence changes nothing.
        XCTAssertEqual(m.attentionShare(seq: 2), 1)
        XCTAssertEqual(try model("").attentionShare(seq: 8), 1)
    }

    func testFLOPsAndStepFollowTheWindow() throws {
        let full = try experiment("")
        let windowed = try experiment(#", "slidingWindow": 1024, "windowedLayers": 16"#)
        let share = windowed.model.attentionShare(seq: 8192)
        XCTAssertLessThan(share, 1)
        let attention = FLOPCount.attentionFull(full.model, seq: 8192) / 2
        XCTAssertEqual(FLOPCount.model(full.model, seq: 8192) - FLOPCount.model(windowed.model, seq: 8192), attention * (1 - share), accuracy: 1e-6 * attention)
        let a = try Engine.simulateStep(full), b = try Engine.simulateStep(windowed)
        XCTAssertLessThan(b.stepSeconds, a.stepSeconds)
        XCTAssertLessThanOrEqual(b.hardwareFLOPsPerToken / b.modelFLOPsPerToken, a.hardwareFLOPsPerToken / a.modelFLOPsPerToken + 1e-12)
        // The window longer than the sequence: the very same step.
        XCTAssertEqual(try Engine.simulateStep(try experiment(#", "slidingWindow": 8192"#)).stepSeconds, a.stepSeconds)
    }

    func testBadWindowsAreOneLine() {
        for (extra, expected) in [(#", "windowedLayers": 4"#, "windowedLayers: needs slidingWindow"),
                                  (#", "slidingWindow": 4096, "windowedLayers": 33"#, "windowedLayers"),
                                  (#", "slidingWindow": 0"#, "slidingWindow")] {
            XCTAssertThrowsError(try model(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}

/// GPT-OSS read from its config.json: experts, biases and the windows on alternate layers.
final class GPTOSSConfigTests: XCTestCase {
    func testWindowsOnAlternateLayers() throws {
        let m = try HuggingFaceConfigTests.load("gpt-oss-120b")
        XCTAssertEqual(m.slidingWindow, 128)
        XCTAssertEqual(m.windowedLayers, 18)
        XCTAssertEqual(m.moe, MoESpec(experts: 128, topK: 4, expertFfnHidden: 2880))
        XCTAssertEqual(m.headDim, 64)
        XCTAssertTrue(m.qkvBias)
        // Without layer_types, transformers alternates them, the first windowed: 12 of 24.
        let url = HuggingFaceConfigTests.fixtures.appendingPathComponent("gpt-oss-20b/config.json")
        let twenty = try HuggingFaceConfig.decode(try DataLocator.readJSON(url).removing("layer_types"), file: "g.json", defaultName: "g")
        XCTAssertEqual(twenty.windowedLayers, 12)
        XCTAssertThrowsError(try HuggingFaceConfig.decode(try DataLocator.readJSON(url).setting(["experts_per_token"], to: .number(2)), file: "g.json", defaultName: "g")) { e in
            XCTAssertTrue("\(e)".contains("experts_per_token: 2 differs from num_experts_per_tok (4)"), "\(e)")
        }
    }
}
