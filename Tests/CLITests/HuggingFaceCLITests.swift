import Foundation
import XCTest

/// `model` as a Hugging Face config.json, end to end: as a path, as `{"huggingface": PATH, ...}`
/// with overrides, its errors (exit 2, one line naming the files and the key), and under mpirun
/// (rank 0 reads the config and sends it to the other ranks).
final class HuggingFaceCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static let fixtures = CLI.packageRoot + "/Tests/Fixtures/huggingface"

    /// Copies fixture `name`'s config.json to `as/config.json` in the temporary folder, edited.
    func config(_ name: String, as target: String? = nil, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name + "/config.json"))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&json)
        let dir = folder.appendingPathComponent(target ?? name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: dir.appendingPathComponent("config.json"))
    }

    func experiment(_ file: String, model: String, parallelism: String = #""tp": 2, "pp": 1"#, sweep: String? = nil) throws {
        let text = """
        {"name": "hf", "model": \(model),
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256},
         "cluster": {"topology": "a100-80g-ib", "devices": 64},
         "parallelism": {\(parallelism)}\(sweep.map { ", \"sweep\": " + $0 } ?? "")}
        """
        let url = folder.appendingPathComponent(file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func report(_ r: CLI.Result) throws -> [String: Any] {
        XCTAssertEqual(r.code, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func testRunWithConfigPath() throws {
        try config("Qwen2.5-7B")
        try experiment("e.json", model: #""Qwen2.5-7B/config.json""#)
        let model = try XCTUnwrap(try report(try CLI.trainsim(["run", "e.json", "--format", "json"], cwd: folder.path))["model"] as? [String: Any])
        XCTAssertEqual(model["name"] as? String, "Qwen2.5-7B")
        // 7.61B published (Qwen/Qwen2.5-7B), the same as the preset written from it.
        let parameters = try XCTUnwrap(model["parameters"] as? Double)
        XCTAssertEqual(parameters / 7.61e9, 1, accuracy: 0.01)
        try experiment("p.json", model: #""qwen2.5-7b""#)
        let preset = try XCTUnwrap(try report(try CLI.trainsim(["run", "p.json", "--format", "json"], cwd: folder.path))["model"] as? [String: Any])
        XCTAssertEqual(preset["parameters"] as? Double, parameters)
    }

    func testRunWithHuggingFaceObjectAndOverrides() throws {
        try config("Qwen3-30B-A3B")
        try experiment("e.json", model: #"{"huggingface": "Qwen3-30B-A3B/config.json", "name": "qwen3-moe-24l", "layers": 24, "moe": {"imbalance": 1.3}}"#,
                       parallelism: #""tp": 2, "pp": 1, "ep": 8"#)
        let r = try report(try CLI.trainsim(["run", "e.json", "--format", "json"], cwd: folder.path))
        let model = try XCTUnwrap(r["model"] as? [String: Any])
        XCTAssertEqual(model["name"] as? String, "qwen3-moe-24l")
        // Half the layers: the 48-layer model's 29.9B non-embedding parameters halve, embeddings stay (0.62B).
        let parameters = try XCTUnwrap(model["parameters"] as? Double)
        XCTAssertEqual(parameters / (29.91e9 / 2 + 0.622e9), 1, accuracy: 0.01)
        // The imbalance override slows the step against the stack's default.
        try experiment("d.json", model: #"{"huggingface": "Qwen3-30B-A3B/config.json", "layers": 24}"#, parallelism: #""tp": 2, "pp": 1, "ep": 8"#)
        let d = try report(try CLI.trainsim(["run", "d.json", "--format", "json"], cwd: folder.path))
        XCTAssertGreaterThan(try XCTUnwrap(r["stepTimeSeconds"] as? Double), try XCTUnwrap(d["stepTimeSeconds"] as? Double))
    }

    func testErrorsNameTheFileAndTheKey() throws {
        try config("Qwen2.5-7B", as: "gpt2") { $0["model_type"] = "gpt2" }
        try config("Qwen2.5-7B", as: "window") { $0["layer_types"] = Array(repeating: "chunked_attention", count: 28) }
        try config("Qwen2.5-7B", as: "unknown") { $0["attention_sink"] = 4 }
        let cases: [(String, String, String)] = [
            (#""gpt2/config.json""#, #"e.json: model "gpt2/config.json": model_type: "gpt2" is not a model family trainsim reads"#, ""),
            (#""window/config.json""#, #"e.json: model "window/config.json": layer_types[0]: "chunked_attention": "#, "sliding_attention"),
            (#"{"huggingface": "unknown/config.json"}"#, #"e.json: model.huggingface "unknown/config.json": attention_sink: unknown key for a qwen2 config"#, "ignoreKeys"),
            (#"{"huggingface": "missing/config.json"}"#, #"e.json: model.huggingface: config file "missing/config.json" not found"#, ""),
            (#"{"huggingface": "Qwen2.5-7B/config.json", "preset": "llama3-8b"}"#, "e.json: model.huggingface: give \"preset\" or \"huggingface\", not both", ""),
            (#"{"huggingface": "Qwen2.5-7B/config.json", "heads": 27}"#, "e.json: model.kvHeads: 4 must divide heads (27)", ""),
        ]
        try config("Qwen2.5-7B")
        for (model, prefix, also) in cases {
            try experiment("e.json", model: model)
            let r = try CLI.trainsim(["run", "e.json"], cwd: folder.path)
            XCTAssertEqual(r.code, 2, model)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("trainsim: " + prefix), r.stderr)
            XCTAssertTrue(also.isEmpty || r.stderr.contains(also), r.stderr)
        }
        // Declared harmless, the unknown key is ignored.
        try experiment("e.json", model: #"{"huggingface": "unknown/config.json", "ignoreKeys": ["attention_sink"]}"#)
        XCTAssertEqual(try CLI.trainsim(["run", "e.json"], cwd: folder.path).code, 0)
    }

    /// A sweep over the layers of a config-based model, a sweep over two configs, and a run, under
    /// mpirun with rank 1 given a file that does not exist: rank 0 sent every config a point reads.
    func testConfigsReachEveryRank() throws {
        try config("Qwen2.5-7B", as: "r0/Qwen2.5-7B")
        try config("Llama-3.1-8B", as: "r0/Llama-3.1-8B")
        try experiment("r0/layers.json", model: #"{"huggingface": "Qwen2.5-7B/config.json"}"#, sweep: #"{"model.layers": [14, 28]}"#)
        try experiment("r0/paths.json", model: #"{"huggingface": "Qwen2.5-7B/config.json"}"#,
                       sweep: #"{"model.huggingface": ["Qwen2.5-7B/config.json", "Llama-3.1-8B/config.json"]}"#)
        try experiment("r0/plain.json", model: #""Llama-3.1-8B/config.json""#)
        for file in ["r0/layers.json", "r0/paths.json", "r0/plain.json"] {
            let args = [file.hasSuffix("plain.json") ? "run" : "sweep", "--format", "json"]
            let local = try CLI.trainsim(args + [file], cwd: folder.path)
            XCTAssertEqual(local.code, 0, local.stderr)
            let mpi = try MPIInputTests.mpmd(args + [file], args + ["r9/none.json"], in: folder)
            XCTAssertEqual(mpi.code, 0, "\(file): \(mpi.stderr)")
            XCTAssertEqual(mpi.stdout, local.stdout, file)
        }
    }
}
