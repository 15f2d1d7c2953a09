import Foundation
import XCTest
@testable import TrainSimCore

/// The whole run of real experiments: phases and ramps, data volumes, storage, checkpoints,
/// failures, the report section in every format, and one-line errors for bad `data`/`reliability`.
final class WholeRunTests: XCTestCase {
    /// Llama 3 8B on 64 H100 (tp 8, dp 8), with extra top-level keys merged in.
    func experiment(_ extra: String = "", devices: Int = 64, parallelism: String = #""tp": 8"#,
                    training: String = #""tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 512"#) throws -> Experiment {
        let text = """
        {"name": "t", "model": "llama3-8b", "training": {\(training)},
         "cluster": {"topology": "h100-ib", "devices": \(devices)}, "parallelism": {\(parallelism)}\(extra.isEmpty ? "" : ", " + extra)}
        """
        return try Experiment.decode(try JSONParser.parse(Data(text.utf8)), file: "t.json", folder: nil)
    }

    func whole(_ e: Experiment, trials: Int = 0) throws -> (Analysis, WholeRun) {
        var a = try Analysis.analyze(e)
        let w = try WholeRun.wholeRun(for: a, trials: trials, seed: 3)
        a.addWholeRun(w)
        return (a, w)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as TrainSimError { return e.description } catch { return "\(error)" }
        return "no error"
    }

    func testWithoutDataOrReliabilityTheRunIsOneBasePhaseWithStatedDefaults() throws {
        let (a, w) = try whole(try experiment())
        XCTAssertEqual(w.phases.map(\.name), ["base"])
        XCTAssertEqual(w.idealDays, a.run.trainingDays, accuracy: 1e-12)
        XCTAssertGreaterThan(w.expectedDays, w.idealDays)
        XCTAssertLessThan(w.goodput, 1)
        XCTAssertEqual(w.checkpoint.bytes, 14 * a.step.parameters, accuracy: 1)
        XCTAssertEqual(w.data.bytesPerToken, 4, "vocab 128,256 needs int32 token ids")
        XCTAssertEqual(w.failures.deviceMTBFHours, a.experiment.cluster.topology.reliability.deviceMTBFHours)
        XCTAssertEqual(w.totalCost, w.computeCost + w.energyCost + w.storageCost, accuracy: 1e-6 * w.totalCost)
        guard case let .object(sources)? = w.section["sources"] else { return XCTFail("no sources") }
        XCTAssertTrue(sources.map(\.0).contains("maxEpochs"))
        XCTAssertTrue(sources.map(\.0).contains("bytesPerToken"))
        XCTAssertTrue(String(describing: sources.first { $0.0 == "deviceMTBFHours" }!.1).contains("Llama 3"))
    }

    func testSequencePhaseGetsItsOwnPlanAndTheBaseKeepsTheRest() throws {
        let e = try experiment(#""data": {"phases": [{"name": "long", "tokens": 2e10, "sequenceLength": 65536, "parallelism": {"cp": 4}}]}"#)
        let (_, w) = try whole(e)
        XCTAssertEqual(w.phases.map(\.name), ["base", "long"])
        XCTAssertEqual(w.phases[0].tokens, 8e10)
        let long = w.phases[1].experiment
        XCTAssertEqual(long.parallelism.cp, 4)
        XCTAssertEqual(long.parallelism.dp, 2, "dp is derived again: 64 / (8 x 4)")
        XCTAssertEqual(long.training.globalBatchSequences, 64, "the base batch of 4M tokens, in 64K sequences")
        XCTAssertEqual(w.idealSeconds, w.phases[0].idealSeconds + w.phases[1].idealSeconds, accuracy: 1e-6)
    }

    func testBatchRampIsDiscreteStagesOnTheDataParallelGranule() throws {
        let e = try experiment(#""data": {"batchRamp": {"fromSequences": 64, "tokens": 2e10, "stages": 4}}"#)
        let (a, w) = try whole(e)
        XCTAssertEqual(w.phases.map(\.name), ["ramp-1", "ramp-2", "ramp-3", "ramp-4", "base"])
        let batches = w.phases.map(\.experiment.training.globalBatchSequences)
        // 64 -> 512 linearly, taken mid-stage: 120, 232, 344, 456, rounded to multiples of dp = 8.
        XCTAssertEqual(batches, [120, 232, 344, 456, 512])
        XCTAssertEqual(w.phases.prefix(4).map(\.tokens), [5e9, 5e9, 5e9, 5e9])
        // Smaller batches run fewer micro-batches per pipeline; never faster per token than the full batch here.
        XCTAssertGreaterThanOrEqual(w.idealSeconds, a.run.trainingSeconds * 0.999)
    }

    func testDeepSeekV3RampFrom3072To15360SequencesOverTheFirst469BTokens() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var e = try Experiment.load(path: root.appendingPathComponent("Experiments/deepseek-v3-h800-2048.json").path)
        e.data = try JSONParser.parse(Data(#"{"batchRamp": {"fromSequences": 3072, "tokens": 469e9, "stages": 4}}"#.utf8))
        let (a, w) = try whole(e)
        XCTAssertEqual(w.phases.map(\.experiment.training.globalBatchSequences), [4608, 7680, 10752, 13824, 15360])
        XCTAssertEqual(w.phases.last!.tokens, 14.8e12 - 469e9, accuracy: 1)
        // Smaller batches fill DualPipe worse: the ramp costs a little time over the full batch throughout.
        XCTAssertGreaterThan(w.idealSeconds, a.run.trainingSeconds)
        XCTAssertLessThan(w.idealSeconds, a.run.trainingSeconds * 1.02)
    }

    func testDataVolumesCompareRequestedWithAvailableAndChinchilla() throws {
        let e = try experiment(#""data": {"datasetTokens": 2e10, "maxEpochs": 2}"#)
        let (_, w) = try whole(e)
        XCTAssertEqual(w.tokensAvailable, 4e10)
        XCTAssertTrue(w.warnings.contains { $0.0 == "data" && $0.1.contains("5.00 epochs needed") })
        XCTAssertEqual(w.chinchillaTokens, 20 * w.activeParameters)
        XCTAssertEqual(w.section["tokens"]?["sufficient"], .bool(false))
    }

    func testSlowStorageShowsUpAsADataStall() throws {
        let fast = try whole(try experiment()).1
        let slow = try whole(try experiment(#""data": {"bytesPerToken": 5e7}"#)).1
        XCTAssertEqual(fast.dataStallSeconds, 0)
        XCTAssertGreaterThan(slow.pipelines[0].utilisation, 1)
        XCTAssertEqual(slow.dataStallSeconds, slow.idealSeconds * (slow.pipelines[0].utilisation - 1), accuracy: 1e-6 * slow.idealSeconds)
        XCTAssertGreaterThan(slow.expectedDays, fast.expectedDays)
        XCTAssertTrue(slow.warnings.contains { $0.0 == "storage" })
    }

    func testReliabilityOverridesAndCheckpointPolicy() throws {
        let e = try experiment(#""reliability": {"deviceMTBFHours": {"value": 5000, "source": "test"}, "checkpointIntervalMinutes": 30, "checkpointWriteSeconds": 60}"#)
        let (_, w) = try whole(e)
        XCTAssertEqual(w.failures.deviceMTBFHours, 5000)
        XCTAssertEqual(w.checkpoint.rule, "given")
        XCTAssertEqual(w.checkpoint.intervalSeconds, 1800)
        XCTAssertEqual(w.checkpoint.writeSeconds, 60)
        let daly = try whole(try experiment(#""reliability": {"checkpointRule": "daly"}"#)).1
        XCTAssertEqual(daly.checkpoint.intervalSeconds,
                       CheckpointPlan.daly(checkpointSeconds: daly.checkpoint.writeSeconds, mtbfSeconds: daly.failures.jobMTBFHours * 3600), accuracy: 1e-9)
        let zero0 = try whole(try experiment(parallelism: #""tp": 8, "zero": 0"#)).1
        XCTAssertEqual(zero0.checkpoint.writerNodes, 1, "without ZeRO one replica (one node) writes")
        XCTAssertEqual(daly.checkpoint.writerNodes, 8)
    }

    func testRunThatCannotOutlastItsFailuresIsCannotRun() throws {
        let e = try experiment(#""reliability": {"deviceMTBFHours": 1, "checkpointIntervalMinutes": 10000}"#)
        let a = try Analysis.analyze(e)
        XCTAssertThrowsError(try WholeRun.wholeRun(for: a)) { error in
            XCTAssertEqual((error as? TrainSimError)?.kind, .cannotRun)
            XCTAssertEqual((error as? TrainSimError)?.path, "reliability")
        }
    }

    func testTrialsThatWouldTakeForeverAreRefused() throws {
        let a = try Analysis.analyze(try experiment(#""reliability": {"deviceMTBFHours": 10}"#))
        XCTAssertThrowsError(try WholeRun.wholeRun(for: a, trials: 10_000_000)) { error in
            XCTAssertEqual((error as? TrainSimError)?.path, "--trials")
        }
    }

    func testMonteCarloSectionAndEveryFormat() throws {
        let (a, w) = try whole(try experiment(), trials: 300)
        let mc = try XCTUnwrap(w.monteCarlo)
        XCTAssertEqual(mc.trials, 300)
        XCTAssertLessThanOrEqual(mc.p50Days, mc.p90Days)
        XCTAssertLessThanOrEqual(mc.p90Days, mc.p99Days)
        XCTAssertGreaterThanOrEqual(mc.p50Days, w.idealDays)
        XCTAssertEqual(mc.p90Cost, mc.p90Days * 86400 * w.costPerSecond, accuracy: 1e-6 * mc.p90Cost)
        XCTAssertTrue(a.render(.json).contains("\"p90Days\""))
        XCTAssertTrue(a.render(.csv).contains("wholeRun.monteCarlo.p90Days"))
        XCTAssertTrue(a.render(.md).contains("| wholeRun.expectedDays |"))
        let text = a.render(.text)
        XCTAssertTrue(text.contains("whole run, with failures, restarts and checkpoints\n"), text)
        XCTAssertTrue(text.contains(String(format: "days P50 / P90            %.1f / %.1f  (300 Monte Carlo trials)", mc.p50Days, mc.p90Days)), text)
        XCTAssertTrue(text.contains("    base: ") && text.contains("batch 512, "), text)
    }

    func testBadDataAndReliabilityInputAreOneLineErrorsWithTheKeyPath() throws {
        let cases: [(String, String)] = [
            (#""data": {"datsetTokens": 1e12}"#, #"t.json: data.datsetTokens: unknown key; did you mean "datasetTokens"?"#),
            (#""reliability": {"restartMinutes": -1}"#, "t.json: reliability.restartMinutes: must be at least 0, found -1"),
            (#""reliability": {"checkpointRule": "yung"}"#, #"did you mean "young"?"#),
            (#""data": {"phases": [{"tokens": 1e10, "parallelism": {"cpp": 2}}]}"#, #"t.json: data.phases[0].parallelism.cpp: unknown key; did you mean "cp"?"#),
            (#""data": {"phases": [{"tokens": 1e10, "parallelism": {"cp": 3}}]}"#, "data.phases[0].parallelism"),
            (#""data": {"phases": [{"tokens": 2e11}]}"#, "t.json: data.phases: the phases take"),
            (#""data": {"phases": [{"tokens": 1e10, "sequenceLength": 3000}]}"#, "data.phases[0]: the base batch of"),
            (#""data": {"batchRamp": {"fromSequences": 8, "tokens": 1e12}}"#, "t.json: data.batchRamp.tokens:"),
            (#""data": {"phases": [{"name": "base", "tokens": 1e10}]}"#, "data.phases[0].name"),
            (#""data": [1]"#, "t.json: data: expected an object, found a list"),
        ]
        for (extra, expected) in cases {
            let got = message { _ = try whole(try experiment(extra)) }
            XCTAssertTrue(got.contains(expected), "\(extra): got \(got)")
            XCTAssertFalse(got.contains("\n"))
        }
    }

    func testShippedWholeRunExampleRunsQuickly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Experiments/llama3-405b-h100-wholerun.json").path
        let start = Date()
        let e = try Experiment.load(path: path)
        let (a, w) = try whole(e, trials: 100)
        XCTAssertTrue(a.fits)
        XCTAssertTrue(w.fits)
        XCTAssertEqual(w.phases.map(\.name), ["base", "batch-8M", "long-context-128k"])
        XCTAssertEqual(w.phases[2].experiment.parallelism.dp, 8)
        XCTAssertEqual(w.failures.jobMTBFHours, 3, accuracy: 0.1)
        XCTAssertGreaterThan(w.goodput, 0.85)
        XCTAssertLessThan(w.goodput, 0.95)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }
}
