import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the best parallel plans for a model on a cluster, by step time or by cost, with memory as a hard limit.",
        discussion: """
        FILE is an experiment; its "search" object sets the objective ("time" or "cost"), how many plans to list \
        ("top", default 10) and, optionally, the candidate values per knob ("space": parallelism.tp, .pp, .vpp, \
        .cp, .ep, .zero, .schedule, training.microBatchSequences, .recompute, cluster.devices, cluster.topology). \
        Knobs not listed take trainsim's defaults: tp dividing the heads inside the scale-up domain, pp up to the \
        layers, ep dividing the experts and dp x cp, vpp 2-8 for the interleaved schedule, micro-batches 1-8, \
        ZeRO 0-3, every recompute mode and schedule. The plan in FILE is ignored.
        A "sweep" over cluster.topology or cluster.devices in the same file is a list of clusters to search too.
        Prints the best N plans and the time-cost Pareto front, and with several clusters the best plan on each. Candidates that cannot beat the best so far \
        (a compute-only lower bound of the step time) are pruned without being simulated; the answer is the \
        same as simulating all of them, and the same for any number of MPI ranks.
        Plans whose reports show the same step time and cost share one row, which lists them (e.g. zero 1/2, \
        with the memory of each); JSON rows carry them in "variants", so the best N are N different answers.

        Examples:
          trainsim search Experiments/search-deepseek-v3-h800.json
          trainsim search Experiments/search-deepseek-v3-h800.json --objective cost --top 5
          mpirun -np 8 trainsim search big-search.json --format json --output best.json
          trainsim search Experiments/search-deepseek-v3-h800.json --benchmark
          trainsim search Experiments/search-deepseek-v3-h800.json --emit megatron > best-plan.sh
        """)

    @Argument(help: "The experiment file (JSON).")
    var file: String

    @OptionGroup var out: OutputOptions

    @OptionGroup var emitOption: EmitOption

    @Option(name: .long, help: "Rank plans by time or cost (overrides search.objective).")
    var objective: String?

    @Option(name: .long, help: "How many plans to list (overrides search.top).")
    var top: Int?

    @Option(name: .long, help: "Write a self-contained HTML page to FILE: the best plans and the Pareto front, time against cost, per topology.")
    var html: String?

    @Flag(name: .long, help: "Simulate every candidate, pruning none (for checks and benchmarks).")
    var exhaustive = false

    @Flag(name: .long, help: "Instead of searching, measure the search: plans simulated per CPU-second, the pruned search's time, and the speedup from 1 to 2 MPI ranks.")
    var benchmark = false

    func run() throws {
        if benchmark {
            try Output.emit(SweepBench.run(experiment: file, binary: CommandLine.arguments.first), to: out.output)
            return
        }
        let started = Date()
        var e = try SharedInput.load(Ranks.mpi, prefetch: { Experiment.readFiles(path: file) }) {
            let url = DataLocator.fileURL(file)
            return try Experiment.decode(try DataLocator.readJSON(url, displayName: file), file: file,
                                         folder: url.deletingLastPathComponent(), validatingPlan: false)
        }
        var spec = e.search ?? SearchSpec()
        if let objective {
            guard ["time", "cost"].contains(objective) else { throw CLIError.badInput("--objective: \"\(objective)\" is not \"time\" or \"cost\"") }
            spec.objective = objective
        }
        if let top {
            guard (1...1000).contains(top) else { throw CLIError.badInput("--top: \(top) is out of range (1 to 1000)") }
            spec.top = top
        }
        e.search = spec
        let search = try PlanSearch(e)
        var progress = Progress(total: search.order.count, what: "search candidates")
        let final = SearchOverMPI.run(search, pruning: !exhaustive, mpi: Ranks.mpi, progress: { progress.advance($0) })
        progress.finish()
        // CPU seconds of the busiest rank: the wall time a search would take on an idle machine.
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        let cpu = Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        let busiest = Ranks.mpi?.allReduceMax(cpu) ?? cpu
        guard let state = final else { return }
        let report = try SearchReport(search: search, state: state)
        if let emit = emitOption.emit {
            // The best plan as launch arguments, instead of the table.
            if let best = report.best.first { try Output.emit(LaunchArguments.render(best.experiment, flavour: emit), to: out.output) }
        } else {
            try Output.emit(report.render(out.format), to: out.output)
        }
        if let html { try Output.emit(HTMLReport.search(report), to: html) }
        let seconds = Date().timeIntervalSince(started)
        Output.note("\(file): \(search.candidates.count) candidates: \(state.evaluated) simulated, \(state.pruned) pruned, "
            + "\(state.outOfMemory) out of memory, \(state.invalid) invalid, in \(String(format: "%.2f", seconds)) s "
            + "(\(Fmt.num(Double(search.candidates.count) / max(seconds, 1e-9))) candidates/s on \(Ranks.size) rank\(Ranks.size == 1 ? "" : "s"); "
            + "busiest rank: \(String(format: "%.3f", busiest)) CPU-s)")
        if report.best.isEmpty {
            Output.note("\(file): no candidate plan fits in memory")
            pendingExitCode = 1
        }
    }
}
