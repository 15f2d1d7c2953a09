import Foundation
import XCTest
@testable import TrainSimCore

/// Hugging Face config.json files (Tests/Fixtures/huggingface/, written from the config.json
/// published in each model's repository) read into models whose parameter counts match the
/// published ones.
final class HuggingFaceConfigTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/huggingface")

    static func load(_ name: String, ignoring: Set<String> = []) throws -> ModelSpec {
        let url = fixtures.appendingPathComponent(name).appendingPathComponent("config.json")
        let json = try DataLocator.readJSON(url)
        XCTAssertTrue(HuggingFaceConfig.isConfig(json))
        return try HuggingFaceConfig.decode(json, file: url.path, defaultName: HuggingFaceConfig.defaultName(url), ignoring: ignoring)
    }

    /// What a published active-parameter figure counts. Reports round it to two or three figures
    /// and do not all say whether the embedding and output layer are in it; each row names the
    /// count the figure matches.
    enum Active { case all, withoutInputEmbedding, withoutEmbeddings }

    /// (fixture, published total, published active and what it counts, source)
    static let published: [(String, Double, (Double, Active)?, String)] = [
        ("Llama-3.1-8B", 8.03e9, nil, "meta-llama/Llama-3.1-8B model card: 8.03B"),
        ("Qwen2.5-7B", 7.61e9, nil, "Qwen/Qwen2.5-7B model card: 7.61B"),
        ("Qwen2.5-72B", 72.7e9, nil, "Qwen/Qwen2.5-72B model card: 72.7B"),
        ("Qwen3-32B", 32.8e9, nil, "Qwen/Qwen3-32B model card: 32.8B"),
        ("Qwen3-30B-A3B", 30.5e9, (3.3e9, .all), "Qwen/Qwen3-30B-A3B model card: 30.5B total, 3.3B activated"),
        ("DeepSeek-V3", 671e9, (37e9, .withoutInputEmbedding), "DeepSeek-V3 report (arXiv:2412.19437): 671B total, 37B activated (MTP module not counted)"),
        ("DeepSeek-V2", 236e9, (21e9, .withoutInputEmbedding), "DeepSeek-V2 paper (arXiv:2405.04434): 236B total, 21B activated"),
        ("DeepSeek-V2-Lite", 15.7e9, (2.4e9, .withoutInputEmbedding), "DeepSeek-V2 paper (arXiv:2405.04434), V2-Lite: 15.7B total, 2.4B activated"),
        ("Mixtral-8x7B-v0.1", 46.7e9, (12.9e9, .all), "Mixtral of Experts (arXiv:2401.04088) and Mistral's release note: 46.7B total, 12.9B per token"),
        ("gpt-oss-120b", 116.83e9, (5.13e9, .withoutInputEmbedding), "OpenAI gpt-oss-120b & gpt-oss-20b model card (arXiv:2508.10925), table 1: 116.83B total, 5.13B active (the unembedding counted, the embedding not)"),
        ("gpt-oss-20b", 20.91e9, (3.61e9, .withoutInputEmbedding), "OpenAI gpt-oss-120b & gpt-oss-20b model card (arXiv:2508.10925), table 1: 20.91B total, 3.61B active (as for 120b)"),
        ("GLM-4.5", 355e9, (32e9, .withoutEmbeddings), "GLM-4.5 report (arXiv:2508.06471): 355B total, 32B activated"),
        ("internlm2_5-7b", 7.74e9, nil, "internlm/internlm2_5-7b: 7.74B (safetensors total)"),
    ]

    func testPublishedParameterCounts() throws {
        for (name, total, active, source) in Self.published {
            let p = ParameterCount(try Self.load(name))
            XCTAssertEqual(p.total / total, 1, accuracy: 0.01, "\(name): \(p.total) vs \(source)")
            guard let (a, counts) = active else { continue }
            let ours: Double
            switch counts {
            case .all: ours = p.active
            case .withoutInputEmbedding: ours = p.active - p.embedding
            case .withoutEmbeddings: ours = p.active - p.embedding - p.outputLayer
            }
            // Published to two figures: within 1 % plus half a unit of the last figure given.
            let slack = a * 0.01 + (a >= 10e9 ? 0.5e9 : 0.05e9)
            XCTAssertEqual(ours, a, accuracy: slack, "\(name): active \(ours) vs \(source)")
        }
    }

    /// Kimi K2's report gives 1.04T total and 32.6B activated; the published config describes
    /// 1.026T (61 layers, 384 experts of 2048, no MTP module), 1.3 % fewer: the report counts
    /// more than the config describes. Active agrees within 1 %.
    func testKimiK2() throws {
        let m = try Self.load("Kimi-K2-Base")
        let p = ParameterCount(m)
        XCTAssertEqual(p.total / 1.04e12, 1, accuracy: 0.015)
        XCTAssertEqual(p.active / 32.6e9, 1, accuracy: 0.01)
        var preset = ModelPresets.all["kimi-k2"]!
        preset.name = "Kimi-K2-Base"
        XCTAssertEqual(m, preset)
    }

    /// The configs read into the same models as the presets written from them.
    func testConfigsMatchPresets() throws {
        let pairs = [("Llama-3.1-8B", "llama3-8b"), ("Qwen2.5-7B", "qwen2.5-7b"), ("Qwen2.5-72B", "qwen2.5-72b"),
                     ("Qwen3-32B", "qwen3-32b"), ("Qwen3-30B-A3B", "qwen3-30b-a3b"), ("DeepSeek-V3", "deepseek-v3"),
                     ("DeepSeek-V2-Lite", "deepseek-v2-lite"), ("Mixtral-8x7B-v0.1", "mixtral-8x7b"), ("gpt-oss-20b", "gpt-oss-20b"),
                     ("gpt-oss-120b", "gpt-oss-120b"), ("GLM-4.5", "glm-4.5"), ("Kimi-K2-Base", "kimi-k2")]
        for (fixture, presetName) in pairs {
            var preset = try XCTUnwrap(ModelPresets.all[presetName])
            preset.name = fixture
            XCTAssertEqual(try Self.load(fixture), preset, fixture)
        }
        // DeepSeek-V2's group-limited routing (3 of 8 device groups) bounds the nodes a token reaches.
        let v2 = try Self.load("DeepSeek-V2")
        XCTAssertEqual(v2.moe?.nodeLimit, 3)
        var v2preset = ModelPresets.all["deepseek-v2"]!
        v2preset.name = "DeepSeek-V2"; v2preset.moe?.nodeLimit = 3
        XCTAssertEqual(v2, v2preset)
    }

    func testFamilyDetails() throws {
        let lite = try Self.load("DeepSeek-V2-Lite")
        XCTAssertEqual(lite.mla?.qLoraRank, 0, "q_lora_rank null: q is projected straight from the hidden state")
        XCTAssertNil(lite.moe?.nodeLimit)
        let glm = try Self.load("GLM-4.5")
        XCTAssertTrue(glm.qkvBias); XCTAssertTrue(glm.qkNorm)
        XCTAssertEqual(glm.mtpLayers, 1)
        XCTAssertEqual(glm.moe?.denseLayers, 3)
        XCTAssertEqual(glm.headDim, 128)
        // Every Qwen3 model normalises q and k per head (Qwen3 report, sec. 2): the presets without a fixture too.
        for name in ModelPresets.names where name.hasPrefix("qwen3") { XCTAssertTrue(ModelPresets.all[name]!.qkNorm, name) }
        let mixtral = try Self.load("Mixtral-8x7B-v0.1")
        XCTAssertEqual(mixtral.moe, MoESpec(experts: 8, topK: 2, expertFfnHidden: 14336))
        let internlm3 = try Self.load("internlm3-8b-instruct")
        XCTAssertEqual(internlm3.layers, 48); XCTAssertEqual(internlm3.kvHeads, 2); XCTAssertFalse(internlm3.qkvBias)
        XCTAssertEqual(try Self.load("Qwen2.5-72B").name, "Qwen2.5-72B")
    }

    /// Biases on q, k, v and the per-head q/k norms are counted, each where its family has them.
    func testBiasAndQKNormCounts() {
        var m = ModelSpec(name: "x", layers: 2, hidden: 64, ffnHidden: 128, heads: 8, kvHeads: 2, headDim: 16, vocab: 100)
        let base = ParameterCount(m)
        m.qkvBias = true
        XCTAssertEqual(ParameterCount(m).total - base.total, 2 * (8 * 16 + 2 * 2 * 16))
        m.qkvBias = false; m.qkNorm = true
        XCTAssertEqual(ParameterCount(m).total - base.total, 2 * (2 * 16))
        m.tiedEmbeddings = true; m.qkNorm = false
        XCTAssertEqual(base.total - ParameterCount(m).total, 100 * 64)
    }

    func testPresetParameterCounts() throws {
        let expect: [(String, Double, Double?)] = [("qwen2.5-7b", 7.61e9, nil), ("qwen2.5-72b", 72.7e9, nil),
                                                   ("qwen3-32b", 32.8e9, nil), ("qwen3-30b-a3b", 30.5e9, 3.3e9)]
        for (name, total, active) in expect {
            let p = ParameterCount(try XCTUnwrap(ModelPresets.all[name]))
            XCTAssertEqual(p.total / total, 1, accuracy: 0.01, name)
            if let active { XCTAssertEqual(p.active, active, accuracy: active * 0.01 + 0.05e9, name) }
        }
    }
}
