import Foundation
import XCTest

/// `trainsim import megatron` and `--emit megatron|mindspeed` end to end: the shipped launch
/// scripts import to experiments that run, the emitted block imports back to the same plan, and
/// bad input is one line with exit 2.
final class MegatronCLITests: XCTestCase {
    func write(_ text: String, _ name: String) throws -> String {
        let path = CLI.tempDir().appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testShippedScriptsImportAndRun() throws {
        for (script, topology) in [("Experiments/launch/train_gpt3_175b_distributed.sh", "a100-80g-ib"),
                                   ("Experiments/launch/pretrain_qwen25_7b_mindspeed.sh", "ascend-910b-a2")] {
            let out = CLI.tempDir().appendingPathComponent("imported.json").path
            let r = try CLI.trainsim(["import", "megatron", script, "--topology", topology, "--output", out], cwd: CLI.packageRoot)
            XCTAssertEqual(r.code, 0, r.stderr)
            XCTAssertEqual(r.stdout, "", "--output takes the experiment")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertFalse(lines.isEmpty)
            for line in lines {
                XCTAssertTrue(line.hasPrefix(script + ": ignored --") || line.hasPrefix(script + ": approximated --"), String(line))
            }
            let run = try CLI.trainsim(["run", out, "--format", "json"], cwd: CLI.packageRoot)
            XCTAssertEqual(run.code, 0, run.stderr)
            let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            XCTAssertGreaterThan(report["stepTimeSeconds"] as! Double, 0)
        }
    }

    func testRunEmitImportsBackToThePlan() throws {
        for flavour in ["megatron", "mindspeed"] {
            let emitted = try CLI.trainsim(["run", "Experiments/llama3-70b-h20-1024.json", "--emit", flavour], cwd: CLI.packageRoot)
            XCTAssertEqual(emitted.code, 0, emitted.stderr)
            XCTAssertTrue(emitted.stdout.hasPrefix("#!/bin/bash\n"))
            XCTAssertTrue(emitted.stdout.contains("--tensor-model-parallel-size 4\n"))
            // The block is bash: it parses.
            let script = try write(emitted.stdout, "launch-\(flavour).sh")
            XCTAssertEqual(try CLI.run("/bin/bash", ["-n", script]).code, 0)
            let back = try CLI.trainsim(["import", "megatron", script, "--topology", "h20-roce"], cwd: CLI.packageRoot)
            XCTAssertEqual(back.code, 0, back.stderr)
            let e = try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as! [String: Any]
            let p = e["parallelism"] as! [String: Any]
            XCTAssertEqual(p["tp"] as? Int, 4); XCTAssertEqual(p["pp"] as? Int, 4); XCTAssertEqual(p["zero"] as? Int, 1)
            XCTAssertEqual(p["sequenceParallel"] as? Bool, true)
            XCTAssertEqual((e["cluster"] as! [String: Any])["devices"] as? Int, 1024)
            XCTAssertEqual(((e["training"] as! [String: Any])["framework"] as! [String: Any])["stack"] as? String,
                           flavour == "mindspeed" ? "mindspeed" : "megatron-core")
        }
    }

    func testSearchEmitsItsBestPlan() throws {
        let experiment = """
        {"name": "small-search", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "microBatchSequences": 1, "precision": "bf16"},
         "cluster": {"topology": "h100-ib", "devices": 16},
         "parallelism": {"tp": 1},
         "search": {"objective": "time", "top": 3,
                    "space": {"parallelism.tp": [1, 2, 4], "parallelism.pp": [1, 2], "parallelism.zero": [1],
                              "training.recompute": ["selective"], "parallelism.schedule": ["1f1b"], "training.microBatchSequences": [1]}}}
        """
        let path = try write(experiment, "search.json")
        let table = try CLI.trainsim(["search", path, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(table.code, 0, table.stderr)
        let best = ((try JSONSerialization.jsonObject(with: Data(table.stdout.utf8)) as! [String: Any])["best"] as! [[String: Any]])[0]
        let r = try CLI.trainsim(["search", path, "--emit", "megatron"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("#!/bin/bash\n"), r.stdout)
        let plan = try XCTUnwrap(best["plan"] as? [String: Any])
        let tp = try XCTUnwrap(plan["tp"] as? Int), pp = try XCTUnwrap(plan["pp"] as? Int)
        XCTAssertTrue(r.stdout.contains("--tensor-model-parallel-size \(tp)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--pipeline-model-parallel-size \(pp)\n"), r.stdout)
    }

    func testBadInputIsOneLineExit2() throws {
        let bad = try write("torchrun pretrain_gpt.py --num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 64 --padded-vocab-size 128 --tensor-model-parallel-size x\n", "bad.sh")
        var r = try CLI.trainsim(["import", "megatron", bad])
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stderr, "trainsim: \(bad): --tensor-model-parallel-size: \"x\" is not a whole number\n")
        XCTAssertEqual(r.stdout, "")

        // A plan that does not multiply out: one line, nothing printed.
        let odd = try write("--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 64 --padded-vocab-size 128 --tensor-model-parallel-size 3 --bf16\n", "odd.txt")
        r = try CLI.trainsim(["import", "megatron", odd, "--devices", "8"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "trainsim: \(odd): parallelism: tp x cp x pp = 3 x 1 x 1 = 3 does not divide cluster.devices (8)\n")

        r = try CLI.trainsim(["import", "megatron", "/nonexistent/launch.sh"])
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stderr, "trainsim: /nonexistent/launch.sh: no such file\n")

        let noShape = try write("NNODES=2\nGPUS_PER_NODE=8\ntorchrun pretrain_gpt.py --tensor-model-parallel-size 2 --seq-length 4096\n", "noshape.sh")
        r = try CLI.trainsim(["import", "megatron", noShape])
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no model shape"), r.stderr)

        // With --model, the same script is an experiment.
        r = try CLI.trainsim(["import", "megatron", noShape, "--model", "llama3-8b"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)

        r = try CLI.trainsim(["run", "Experiments/quickstart-llama3-8b-a100.json", "--emit", "deepspeed"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
}
