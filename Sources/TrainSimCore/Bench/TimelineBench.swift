import Foundation

/// `trainsim bench timeline`: the cost of simulating a step as a timeline: operations and events
/// per step, milliseconds per step (CPU time of this thread, best of several runs), for the
/// shipped DeepSeek-V3 experiment (DualPipe, 120 micro-batches), the 9,216-device MoE plan of
/// `bench network` and a dense 405B plan, each in analytical mode; plans per second over the
/// first plans of the DeepSeek-V3 search; and how much the steady-state extension saves against
/// simulating every micro-batch.
public enum TimelineBench {
    /// The 9,216-device MoE plan it times (analytical network), as an experiment file's text: the
    /// whole-process benchmark runs `trainsim` on the same text.
    public static var moeExperimentText: String {
        NetworkBench.experimentText(name: "bench-moe", model: "deepseek-v3", topology: "h800-ib", devices: 9216, tp: 2, pp: 12, ep: 16,
                                    microBatchesPerReplica: 8, network: "analytical")
    }

    public static func run(home: URL? = DataLocator.home, repeats: Int = 7) throws(TrainSimError) -> String {
        var out = "timeline benchmark (CPU ms of one thread, best of \(repeats))\n"
        var cases: [(String, Experiment)] = []
        if let home {
            let path = home.appendingPathComponent("Experiments/deepseek-v3-h800-2048.json").path
            cases.append(("deepseek-v3 2048 H800 DualPipe (shipped)", try Experiment.load(path: path)))
        }
        cases.append(("MoE deepseek-v3 9,216 TP2 EP16 PP12", try NetworkBench.decode(moeExperimentText)))
        var dense = try NetworkBench.experiment(name: "bench-dense", model: "llama3-405b", topology: "h100-ib", devices: 16384, tp: 8, pp: 16,
                                                ep: 1, microBatchesPerReplica: 16)
        dense.cluster.network = .analytical
        cases.append(("dense llama3-405b 16,384 TP8 PP16", dense))
        for (title, e) in cases {
            let engine = try Engine(e)
            var best = Double.infinity, full = Double.infinity
            var step = 0.0
            for _ in 0..<repeats {
                let t0 = NetworkBench.cpu()
                step = engine.step().stepSeconds
                best = min(best, NetworkBench.cpu() - t0)
            }
            var f = engine
            f.fullTimeline = true
            var ops = 0
            for _ in 0..<max(1, repeats / 2) {
                let t0 = NetworkBench.cpu()
                let (_, g) = f.timelineSummary(full: true)
                full = min(full, NetworkBench.cpu() - t0)
                ops = g.count
            }
            out += "  \(title): \(String(format: "%.2f", best * 1e3)) ms per step (step \(String(format: "%.3f", step)) s, "
                + "\(e.microBatches) micro-batches); every micro-batch simulated: \(String(format: "%.2f", full * 1e3)) ms, \(ops) operations\n"
        }
        return out
    }

    /// Plans per second and a whole pruned search over the shipped DeepSeek-V3 search space.
    public static func search(home: URL? = DataLocator.home, budgetSeconds: Double = 60) throws(TrainSimError) -> String {
        var out = ""
        if let home {
            let path = home.appendingPathComponent("Experiments/search-deepseek-v3-h800.json").path
            let url = URL(fileURLWithPath: path)
            let e = try Experiment.decode(try DataLocator.readJSON(url, displayName: path), file: path, folder: url.deletingLastPathComponent(),
                                          validatingPlan: false)
            let search = try PlanSearch(e)
            var n = 0
            let t0 = NetworkBench.cpu()
            for id in search.order where n < 200 { if case .scored = search.evaluate(id) { n += 1 } }
            let dt = NetworkBench.cpu() - t0
            out += "  search-deepseek-v3-h800: \(n) plans simulated in \(String(format: "%.2f", dt)) s: \(String(format: "%.0f", Double(n) / dt)) plans/s on one core\n"
            // A search of its own, as `trainsim search` runs it: the one above has simulated (and
            // cached, `TimelineCache`) the first 200 plans.
            let fresh = try PlanSearch(e)
            var state = SearchState(fresh)
            let t1 = NetworkBench.cpu()
            while let id = state.next(in: fresh) {
                state.record(id, fresh.evaluate(id), in: fresh)
                if NetworkBench.cpu() - t1 > budgetSeconds { break }
            }
            let done = state.cursor
            let all = state.isComplete
            out += "  search-deepseek-v3-h800 pruned search: \(String(format: "%.2f", NetworkBench.cpu() - t1)) s on one core "
                + "(\(all ? "all" : "stopped at the budget after") \(done) of \(fresh.candidates.count) candidates: \(state.evaluated) simulated, "
                + "\(state.pruned) pruned, \(state.outOfMemory) out of memory)\n"
        }
        return out
    }
}
