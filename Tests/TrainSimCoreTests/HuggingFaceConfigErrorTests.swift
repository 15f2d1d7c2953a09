import Foundation
import XCTest
@testable import TrainSimCore

/// What trainsim cannot model in a Hugging Face config is one error naming the file and the key;
/// nothing is dropped silently.
final class HuggingFaceConfigErrorTests: XCTestCase {
    /// The Qwen2.5-7B fixture with one key set (nil removes it).
    func qwen(_ key: String, _ value: JSONValue?, ignoring: Set<String> = []) throws(TrainSimError) -> ModelSpec {
        let url = HuggingFaceConfigTests.fixtures.appendingPathComponent("Qwen2.5-7B/config.json")
        var json = try DataLocator.readJSON(url)
        json = value.map { json.setting([key], to: $0) } ?? json.removing(key)
        return try HuggingFaceConfig.decode(json, file: "q.json", defaultName: "q", ignoring: ignoring)
    }

    func error(_ body: () throws(TrainSimError) -> ModelSpec) -> String {
        do { _ = try body(); return "no error" } catch { return error.description }
    }

    func testUnknownModelType() {
        let e = error { () throws(TrainSimError) in try qwen("model_type", .string("gpt2")) }
        XCTAssertTrue(e.hasPrefix("q.json: model_type: \"gpt2\" is not a model family trainsim reads"), e)
        XCTAssertTrue(e.contains("qwen3_moe") && !e.contains("\n"), e)
        let typo = error { () throws(TrainSimError) in try qwen("model_type", .string("qwen2-moe")) }
        XCTAssertTrue(typo.hasSuffix("did you mean \"qwen2_moe\"?"), typo)
    }

    func testArchitecturesAloneNameTheFamily() throws {
        let m = try qwen("model_type", nil)
        XCTAssertTrue(m.qkvBias)
        let e = error { () throws(TrainSimError) in
            let url = HuggingFaceConfigTests.fixtures.appendingPathComponent("Qwen2.5-7B/config.json")
            let json = try DataLocator.readJSON(url).removing("model_type").setting(["architectures"], to: .array([.string("GPT2LMHeadModel")]))
            return try HuggingFaceConfig.decode(json, file: "q.json", defaultName: "q")
        }
        XCTAssertTrue(e.hasPrefix("q.json: architectures: GPT2LMHeadModel is not an architecture trainsim reads"), e)
    }

    func testUnknownKeyIsReportedUnlessIgnored() throws {
        let e = error { () throws(TrainSimError) in try qwen("attention_sink", .bool(true)) }
        XCTAssertTrue(e.hasPrefix("q.json: attention_sink: unknown key for a qwen2 config"), e)
        XCTAssertTrue(e.contains("\"ignoreKeys\": [\"attention_sink\"]"), e)
        _ = try qwen("attention_sink", .bool(true), ignoring: ["attention_sink"])
    }

    func testValuesTrainsimCannotModel() throws {
        let cases: [(String, JSONValue, String)] = [
            ("layer_types", .array(Array(repeating: .string("chunked_attention"), count: 28)), "q.json: layer_types[0]: \"chunked_attention\": trainsim models full_attention and sliding_attention layers only"),
            ("layer_types", .array([.string("full_attention"), .string("sliding_attention")]), "q.json: layer_types: lists 2 layers, but num_hidden_layers is 28"),
            ("layer_types", .array(Array(repeating: .string("sliding_attention"), count: 28)), "q.json: layer_types: names 28 sliding_attention layers, but use_sliding_window is not true"),
            ("num_key_value_heads", .number(5), "q.json: num_key_value_heads: 5 must divide num_attention_heads (28)"),
            ("num_hidden_layers", .string("28"), "q.json: num_hidden_layers: expected a whole number, found a string"),
        ]
        for (key, value, prefix) in cases {
            let e = error { () throws(TrainSimError) in try qwen(key, value) }
            XCTAssertTrue(e.hasPrefix(prefix), e)
        }
        XCTAssertTrue(error { () throws(TrainSimError) in try qwen("hidden_size", nil) }.hasPrefix("q.json: hidden_size: missing required key"))
        // Declared harmless, a checked key is not read: the default (full attention) is modelled.
        XCTAssertNil(try qwen("use_sliding_window", .bool(true), ignoring: ["use_sliding_window"]).slidingWindow)
    }

    func testSlidingWindowsAsTransformersLaysThemOut() throws {
        // Qwen2: with use_sliding_window, the layers from max_window_layers on have the window.
        let url = HuggingFaceConfigTests.fixtures.appendingPathComponent("Qwen2.5-7B/config.json")
        let base = try DataLocator.readJSON(url).setting(["use_sliding_window"], to: .bool(true)).setting(["sliding_window"], to: .number(4096))
        let q = try HuggingFaceConfig.decode(base.setting(["max_window_layers"], to: .number(20)), file: "q.json", defaultName: "q")
        XCTAssertEqual(q.slidingWindow, 4096)
        XCTAssertEqual(q.windowedLayers, 8)
        XCTAssertEqual(try HuggingFaceConfig.decode(base, file: "q.json", defaultName: "q").windowedLayers, 0, "max_window_layers 28 of 28: none")
        // layer_types, when given, names them.
        let types = JSONValue.array((0..<28).map { .string($0 % 2 == 0 ? "sliding_attention" : "full_attention") })
        XCTAssertEqual(try HuggingFaceConfig.decode(base.setting(["layer_types"], to: types), file: "q.json", defaultName: "q").windowedLayers, 14)
        // Mixtral: every layer when sliding_window is set; null is none.
        let mixtral = try DataLocator.readJSON(HuggingFaceConfigTests.fixtures.appendingPathComponent("Mixtral-8x7B-v0.1/config.json"))
        let m = try HuggingFaceConfig.decode(mixtral.setting(["sliding_window"], to: .number(4096)), file: "x.json", defaultName: "x")
        XCTAssertEqual(m.slidingWindow, 4096)
        XCTAssertEqual(m.windowedLayers, 32)
        XCTAssertNil(try HuggingFaceConfig.decode(mixtral.setting(["sliding_window"], to: .null), file: "x.json", defaultName: "x").slidingWindow)
    }

    func testMoELayoutsTrainsimCannotModel() throws {
        let url = HuggingFaceConfigTests.fixtures.appendingPathComponent("Qwen3-30B-A3B/config.json")
        let base = try DataLocator.readJSON(url)
        func decode(_ key: String, _ v: JSONValue) throws(TrainSimError) -> ModelSpec {
            try HuggingFaceConfig.decode(base.setting([key], to: v), file: "m.json", defaultName: "m")
        }
        XCTAssertTrue(error { () throws(TrainSimError) in try decode("decoder_sparse_step", .number(2)) }.hasPrefix("m.json: decoder_sparse_step: 2: an MoE layer every 2 layers is not modelled"))
        XCTAssertTrue(error { () throws(TrainSimError) in try decode("mlp_only_layers", .array([.number(3)])) }.hasPrefix("m.json: mlp_only_layers: [3]: only leading dense layers"))
        XCTAssertEqual(try decode("mlp_only_layers", .array([.number(0), .number(1)])).moe?.denseLayers, 2)
        let mixtral = try DataLocator.readJSON(HuggingFaceConfigTests.fixtures.appendingPathComponent("Mixtral-8x7B-v0.1/config.json"))
        let e = error { () throws(TrainSimError) in try HuggingFaceConfig.decode(mixtral.setting(["sliding_window"], to: .number(0)), file: "x.json", defaultName: "x") }
        XCTAssertTrue(e.hasPrefix("x.json: sliding_window: "), e)
    }
}
