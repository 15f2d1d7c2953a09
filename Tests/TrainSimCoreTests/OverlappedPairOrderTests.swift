import XCTest
@testable import TrainSimCore

/// A forward and a backward pass run as an overlapped pair (DualPipe, the MoE all-to-all overlap)
/// interleave their layers' components as DeepSeek-V3's overlap does (report, sec. 3.2.1, fig. 4)
/// and Megatron-Core's layer-wise 1F1B overlap (schedule_layer_1f1b): the backward's combine
/// beside the forward's attention, the forward's dispatch beside the backward's MLP, the
/// backward's dispatch beside the forward's MLP, the forward's combine beside the backward's
/// attention; and the two passes take turns layer by layer.
final class OverlappedPairOrderTests: XCTestCase {
    /// (stream name, op name) of one stage's operations in the order they started.
    func stageOps(_ e: Experiment, stage: Int) throws -> [(stream: String, name: String)] {
        guard case let .object(top) = try StepTrace(experiment: e).traceJSON(),
              case let .array(events)? = top.first(where: { $0.0 == "traceEvents" })?.1 else { XCTFail("not a trace"); return [] }
        var threads: [Double: String] = [:]
        var ops: [(ts: Double, tid: Double, name: String)] = []
        for case let .object(ev) in events {
            let f = Dictionary(ev, uniquingKeysWith: { a, _ in a })
            guard case let .number(pid)? = f["pid"], Int(pid) == stage, case let .number(tid)? = f["tid"] else { continue }
            if case .string("thread_name")? = f["name"], case let .object(args)? = f["args"],
               case let .string(n)? = Dictionary(args, uniquingKeysWith: { a, _ in a })["name"] { threads[tid] = n }
            if case .string("X")? = f["ph"], case let .number(ts)? = f["ts"], case let .string(n)? = f["name"] { ops.append((ts, tid, n)) }
        }
        return ops.sorted { ($0.ts, $0.tid) < ($1.ts, $1.tid) }.map { (threads[$0.tid] ?? "", $0.name) }
    }

    func microBatch(_ name: String) -> String { name.components(separatedBy: " ").last ?? "" }

    func testPairsInterleaveAsDeepSeekV3Figure4() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "recompute": "selective"},
         "cluster": {"topology": "h800-ib", "devices": 256},
         "parallelism": {"tp": 1, "pp": 8, "ep": 32, "zero": 1, "schedule": "dualpipe"}}
        """), file: "t.json", folder: nil)
        let ops = try stageOps(e, stage: 3)
        let ep = ops.filter { $0.stream == "ep comm" }.map(\.name)
        // The all-to-alls of a steady-state pair, in order: combine (grad) of the backward's
        // micro-batch b, dispatch of the forward's f, dispatch (grad) of b, combine of f.
        var found = 0
        for i in 0..<max(0, ep.count - 3) where ep[i].hasPrefix("ep combine (grad)") {
            let b = microBatch(ep[i]), f = microBatch(ep[i + 1])
            guard ep[i + 1].hasPrefix("ep dispatch L"), f != b,
                  ep[i + 2].hasPrefix("ep dispatch (grad)"), microBatch(ep[i + 2]) == b,
                  ep[i + 3].hasPrefix("ep combine L"), microBatch(ep[i + 3]) == f else { continue }
            found += 1
            // On the compute stream meanwhile: the backward's experts, then the forward's.
            let compute = ops.filter { $0.stream == "compute" }.map(\.name)
            guard let xb = compute.firstIndex(where: { $0.hasPrefix("experts B") && microBatch($0) == b }),
                  let xf = compute.firstIndex(where: { $0.hasPrefix("experts F") && microBatch($0) == f }) else {
                return XCTFail("no experts of \(b) / \(f) on the compute stream")
            }
            XCTAssertLessThan(xb, xf, "\(b) / \(f)")
        }
        // The trace is the simulated window (a few periods past the fill; `SteadyWindow`).
        XCTAssertGreaterThanOrEqual(found, 4, "steady-state pairs in the order of DeepSeek-V3's figure 4")
        // Never the forward first: its dispatch, then the backward's combine (grad), the
        // forward's combine and the backward's dispatch (grad) beside nothing but the forward's tail.
        for i in 0..<max(0, ep.count - 3) where ep[i].hasPrefix("ep dispatch L") {
            let f = microBatch(ep[i]), b = microBatch(ep[i + 1])
            XCTAssertFalse(ep[i + 1].hasPrefix("ep combine (grad)") && b != f && ep[i + 2].hasPrefix("ep combine L") && microBatch(ep[i + 2]) == f
                           && ep[i + 3].hasPrefix("ep dispatch (grad)") && microBatch(ep[i + 3]) == b, "forward first at \(f) / \(b)")
        }
    }

    /// In a pair the dense layers go one by one, so that the other pass's all-to-alls interleave
    /// with them as with MoE layers (a merged run of them was one compute operation, which the
    /// forward's dispatch and combine waited out); without pairs identical layers still run as one.
    func testPairedDenseLayersInterleaveOneByOne() throws {
        func plan(_ schedule: String) throws -> Experiment {
            try Experiment.decode(try JSONParser.parse("""
            {"model": "deepseek-v3", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 512, "recompute": "selective"},
             "cluster": {"topology": "h800-ib", "devices": 256},
             "parallelism": {"tp": 1, "pp": 8, "ep": 32, "zero": 1, "schedule": "\(schedule)"}}
            """), file: "t.json", folder: nil)
        }
        // Stage 0 holds DeepSeek-V3's three dense layers (0-2) at the head of its first chunk.
        let paired = try stageOps(plan("dualpipe"), stage: 0).filter { $0.stream == "compute" }.map(\.name)
        XCTAssertFalse(paired.contains { $0.contains(" L0-") || $0.contains(" L1-2 ") }, "a merged run of dense layers in a pair")
        for l in 0...2 { XCTAssertTrue(paired.contains { $0.hasPrefix("qkv F + L\(l) mb") }, "dense layer \(l)'s forward alone") }
        // Without pairs the forward of the three runs as one operation, with the embedding's.
        let unpaired = try stageOps(plan("1f1b"), stage: 0).filter { $0.stream == "compute" }.map(\.name)
        XCTAssertTrue(unpaired.contains { $0.hasPrefix("embedding F + mb") }, "identical layers run as one without pairs")
        XCTAssertFalse(unpaired.contains { $0.hasPrefix("qkv F") && $0.contains(" L1 mb") })
        // A dense model has no all-to-all to hide: its DualPipe pairs keep identical layers as one.
        let dense = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-70b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 512, "recompute": "selective"},
         "cluster": {"topology": "h800-ib", "devices": 512}, "parallelism": {"tp": 4, "pp": 8, "zero": 1, "schedule": "dualpipe"}}
        """), file: "t.json", folder: nil)
        let denseOps = try stageOps(dense, stage: 0).filter { $0.stream == "compute" }.map(\.name)
        XCTAssertTrue(denseOps.contains { $0.contains(" L0-9 mb") }, "a dense model's run of layers in a pair")
    }
}
