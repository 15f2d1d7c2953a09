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
    ///   - seconds: how long to time the single-rank simulation rate.
    public static func run(experiment: String? = nil, binary: String? = nil, seconds: Double = 2) -> String {
        guard let path = experiment ?? defaultExperiment else { return "sweep bench: cannot find Experiments/search-deepseek-v3-h800.json\n" }
        var out = "sweep and search benchmarks (\(path))\n"
        do {
            let url = URL(fileURLWithPath: path)
            let e = try Experiment.decode(try DataLocator.readJSON(url, displayName: path), file: path,
                                          folder: url.deletingLastPathComponent(), validatingPlan: false)
            var t0 = Date()
            let search = try PlanSearch(e)
            let enumerate = Date().timeIntervalSince(t0)
            out += "  candidates: \(search.candidates.count), enumerated with bounds in \(String(format: "%.3f", enumerate)) s\n"

            // Full simulations per second: candidates in search order that fit, each simulated in full.
            var simulated = 0, tried = 0
            t0 = Date()
            var elapsed = 0.0
            var position = 0
            while elapsed < seconds, position < search.order.count {
                if case .scored = search.evaluate(search.order[position]) { simulated += 1 }
                tried += 1
                position += 1
                if tried % 64 == 0 { elapsed = Date().timeIntervalSince(t0) }
            }
            elapsed = Date().timeIntervalSince(t0)
            out += "  one rank, analytical network: \(Int((Double(simulated) / elapsed).rounded())) plans simulated per second "
                + "(\(Int((Double(tried) / elapsed).rounded())) candidates checked per second incl. out-of-memory and invalid)\n"

            t0 = Date()
            var state = SearchState(search)
            for p in search.order.indices { state.consider(position: p, in: search) }
            let whole = Date().timeIntervalSince(t0) + enumerate
            out += "  pruned search, one rank: \(String(format: "%.2f", whole)) s for \(search.candidates.count) candidates "
                + "(\(state.evaluated) simulated, \(state.pruned) pruned): \(Int((Double(search.candidates.count) / whole).rounded())) candidates per second\n"
        } catch {
            return out + "  failed: \(error)\n"
        }
        if let binary, let mpirun = findMPIRun() {
            let args = ["search", path, "--exhaustive", "--format", "json"]
            if let one = time(mpirun, ["-np", "1", binary] + args), let two = time(mpirun, ["-np", "2", binary] + args) {
                out += "  exhaustive search under mpirun: 1 rank \(String(format: "%.2f", one.seconds)) s, 2 ranks \(String(format: "%.2f", two.seconds)) s: "
                    + "speedup \(String(format: "%.2f", one.seconds / two.seconds))x; outputs \(one.output == two.output ? "identical" : "DIFFER")\n"
            } else {
                out += "  mpirun speedup: could not run \(mpirun)\n"
            }
        }
        return out
    }

    static func findMPIRun() -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        return dirs.map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a command to the end; its wall time and standard output, or nil if it failed.
    static func time(_ exe: String, _ args: [String]) -> (seconds: Double, output: Data)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for k in ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_SIZE"] { env[k] = nil }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        let t0 = Date()
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return (Date().timeIntervalSince(t0), data)
    }
}
