import Foundation
import TrainSimCore

/// Benchmarks of sweeps and plan search: plans simulated per second on one rank (analytical
/// network), a whole pruned search, and the speedup from 1 to 2 MPI ranks, measured by running
/// the trainsim binary under `mpirun -np 1` and `-np 2` on an exhaustive search.
public enum SweepBench {
    /// The shipped search experiment, found beside the executable or via TRAINSIM_HOME.
    public static var defaultExperiment: String? {
        DataLocator.home.map { $0.appendingPathComponent("Experiments/search-deepseek-v3-h800.json").path }
    }

    /// Runs the benchmarks and returns a short plain-text report.
    /// - Parameters:
    ///   - experiment: a search experiment (default: Experiments/search-deepseek-v3-h800.json).
    ///   - binary: the trainsim executable, for the 1-vs-2-rank speedup (nil, or no mpirun: skipped).
    ///   - trials: runs of each rank count for the speedup; the fastest counts (wall time on a shared host is noisy).
    public static func run(experiment: String? = nil, binary: String? = nil, trials: Int = 2) -> String {
        guard let path = experiment ?? defaultExperiment else { return "sweep bench: cannot find Experiments/search-deepseek-v3-h800.json\n" }
        var out = "sweep and search benchmarks (\(path))\n"
        do {
            let url = URL(fileURLWithPath: path)
            let e = try Experiment.decode(try DataLocator.readJSON(url, displayName: path), file: path,
                                          folder: url.deletingLastPathComponent(), validatingPlan: false)
            let t0 = KernelBench.threadCPUTime()
            let search = try PlanSearch(e)
            let enumerate = KernelBench.threadCPUTime() - t0
            out += "  candidates: \(search.candidates.count), enumerated with bounds in \(String(format: "%.3f", enumerate)) s\n"

            // Full simulations per second, in CPU time of this thread (robust on a shared host): the
            // first plans of the search order that fit, each simulated in full, best of five trials.
            var ids: [Int] = []
            var tried = 0
            let checkStart = KernelBench.threadCPUTime()
            for id in search.order where ids.count < 2000 {
                tried += 1
                if case .scored = search.evaluate(id) { ids.append(id) }
            }
            let checkRate = Double(tried) / max(KernelBench.threadCPUTime() - checkStart, 1e-9)
            // Each trial and the pruned search below on a search of its own: a search keeps the steps
            // it simulated (`TimelineCache`), and a repeated plan would be read from it.
            var best = Double.infinity
            for _ in 0..<5 {
                let trial = try PlanSearch(e)
                let t = KernelBench.threadCPUTime()
                for id in ids { _ = trial.evaluate(id) }
                best = min(best, KernelBench.threadCPUTime() - t)
            }
            out += "  one rank, analytical network: \(Int((Double(ids.count) / best).rounded())) plans simulated per CPU-second "
                + "(\(ids.count) plans that fit, best of 5); \(Int(checkRate.rounded())) candidates checked per CPU-second "
                + "incl. those out of memory\n"

            let fresh = try PlanSearch(e)
            let wall = Date()
            let cpu = KernelBench.threadCPUTime()
            let state = SearchState.complete(fresh)
            let cpuSeconds = KernelBench.threadCPUTime() - cpu + enumerate
            out += "  pruned search, one rank: \(String(format: "%.2f", cpuSeconds)) CPU-s (\(String(format: "%.2f", Date().timeIntervalSince(wall) + enumerate)) s wall) "
                + "for \(search.candidates.count) candidates (\(state.evaluated) simulated, \(state.pruned) pruned, \(state.outOfMemory) out of memory): "
                + "\(Int((Double(search.candidates.count) / cpuSeconds).rounded())) candidates per CPU-second\n"
        } catch {
            return out + "  failed: \(error)\n"
        }
        if let binary, let mpirun = findMPIRun() {
            let args = ["search", path, "--exhaustive", "--format", "json"]
            func fastest(_ np: Int) -> (seconds: Double, cpu: Double, output: Data)? {
                let runs = (0..<max(1, trials)).compactMap { _ in time(mpirun, ["-np", String(np), binary] + args) }
                guard let best = runs.min(by: { $0.seconds < $1.seconds }) else { return nil }
                return (best.seconds, runs.map(\.busiestCPU).min()!, best.output)
            }
            if let one = fastest(1), let two = fastest(2) {
                out += "  exhaustive search under mpirun, fastest of \(trials) (load average \(loadAverage)): wall 1 rank \(String(format: "%.2f", one.seconds)) s, "
                    + "2 ranks \(String(format: "%.2f", two.seconds)) s: speedup \(String(format: "%.2f", one.seconds / two.seconds))x; "
                    + "CPU of the busiest rank \(String(format: "%.2f", one.cpu)) s vs \(String(format: "%.2f", two.cpu)) s: "
                    + "\(String(format: "%.2f", one.cpu / max(two.cpu, 1e-9)))x in CPU time of the busiest rank (the wall-clock speedup of an idle machine, process start aside); outputs \(one.output == two.output ? "identical" : "DIFFER")\n"
            } else {
                out += "  mpirun speedup: could not run \(mpirun)\n"
            }
        }
        return out
    }

    /// The 1-minute load average, to judge wall-clock figures on a shared host.
    static var loadAverage: String {
        var l = [0.0, 0.0, 0.0]
        return getloadavg(&l, 3) > 0 ? String(format: "%.1f", l[0]) : "unknown"
    }

    static func findMPIRun() -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        return dirs.map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a command to the end: its wall time, the CPU seconds of its busiest rank (from the
    /// search's note on stderr) and its standard output; nil if it failed.
    static func time(_ exe: String, _ args: [String]) -> (seconds: Double, busiestCPU: Double, output: Data)? {
        timed(exe, args).map { ($0.seconds, $0.busiestCPU, $0.output) }
    }

    /// As ``time(_:_:)``, with the seconds the sweep's own note gives for its points (`--timing`:
    /// "N points in S s"), so that what the run spent after its last point is the difference.
    static func timed(_ exe: String, _ args: [String]) -> (seconds: Double, busiestCPU: Double, output: Data, pointsSeconds: Double)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for k in ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_SIZE"] { env[k] = nil }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = env
        let pipe = Pipe()
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-bench-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        guard let err = try? FileHandle(forWritingTo: errURL) else { return nil }
        p.standardOutput = pipe
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let t0 = Date()
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(t0)
        try? err.close()
        guard p.terminationStatus == 0 else { return nil }
        let note = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        func number(after marker: String) -> Double {
            guard let r = note.range(of: marker) else { return .nan }
            return Double(note[r.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? .nan
        }
        return (seconds, number(after: "busiest rank: "), data, number(after: " points in "))
    }
}
