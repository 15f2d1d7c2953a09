import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Simulate one experiment: step time, throughput, MFU, memory, and the whole run's days, energy and cost.",
        discussion: """
        FILE is an experiment file (see README). `trainsim FILE` is the same as `trainsim run FILE`; a file with a \
        "sweep" or "search" object runs that sweep or search.
        The report ends with the whole run (section wholeRun): phases, tokens, input pipeline, checkpoints, \
        failures and restarts, expected days and cost vs ideal, goodput. The experiment's optional `data` and \
        `reliability` objects refine it; the topology file gives storage and failure rates.
        With --trials N, N Monte Carlo trials of failures and restarts give P50, P90 and P99 of days and cost; \
        under mpirun the trials are shared among ranks and the result is the same for any number of ranks.
        Exit status: 0 on success, 1 when a phase does not fit in memory (the report is still printed) or \
        failures leave the run no chance to finish, 2 on bad input.

        Examples:
          trainsim run Experiments/quickstart-llama3-8b-a100.json
          trainsim run Experiments/deepseek-v3-h800-2048.json --format json
          trainsim run Experiments/llama3-405b-h100-wholerun.json --trials 1000
          trainsim run Experiments/deepseek-v3-h800-2048.json --trace step.json
          trainsim run Experiments/deepseek-v3-h800-2048.json --emit megatron > launch.sh
          trainsim run Experiments/pangu-ultra-135b-ascend-910b-8192.json --emit mindspeed
        """)

    @Argument(help: "The experiment file (JSON).")
    var file: String

    @OptionGroup var out: OutputOptions

    @OptionGroup var emitOption: EmitOption

    @Option(name: .long, help: "Write a Chrome trace (JSON; opens in Perfetto) of one step's timeline to FILE: a process per pipeline stage, a track per stream.")
    var trace: String?

    @Option(name: .long, help: "Write a self-contained HTML page to FILE (opens in any browser, offline): headline figures, step breakdown, pipeline timeline, memory per stage, the whole run.")
    var html: String?

    // `.unconditional`: `--trials -5` is a bad count, not a missing one.
    @Option(name: .long, parsing: .unconditional, help: "Monte Carlo trials of failures and restarts over the whole run (0: expected values only).")
    var trials: Int = 0

    @Option(name: .long, help: "Seed of the Monte Carlo trials (each trial is seeded from it and its index).")
    var seed: UInt64 = 1

    func validate() throws {
        guard (0...100_000_000).contains(trials) else {
            throw ValidationError("--trials must be a positive integer (at most 100000000; 0, the default, gives expected values only), found \(trials)")
        }
    }

    func run() throws {
        try Self.perform(file: file, out: (out.format, out.output), emit: emitOption.emit, trace: trace, html: html, trials: trials, seed: seed)
    }

    /// `trainsim [run] FILE [--format F]` with nothing else: the run verb, without ArgumentParser,
    /// whose reflection over every verb's options was about 44 % of the instructions of a small run
    /// (16.5 M of 37.5 M for the quickstart; `trainsim run FILE --format json`, as scripts call it,
    /// on the 9,216-device MoE plan of `trainsim bench timeline`: 30.2 M parsed, 13.1 M not). Any
    /// other command line, a format the run verb does not know included, goes through the parser.
    static func plainRun(_ args: [String]) -> (file: String, format: ReportFormat)? {
        var rest = args[...]
        if rest.first == "run" { rest = rest.dropFirst() }
        guard let file = rest.first, !file.hasPrefix("-"), file.hasSuffix(".json") else { return nil }
        rest = rest.dropFirst()
        if rest.isEmpty { return (file, .text) }
        guard rest.count == 2, rest.first == "--format", let format = ReportFormat(rawValue: rest[rest.startIndex + 1]) else { return nil }
        return (file, format)
    }

    static func perform(file: String, out: (format: ReportFormat, output: String?) = (.text, nil), emit: LaunchFlavour? = nil,
                        trace: String? = nil, html: String? = nil, trials: Int = 0, seed: UInt64 = 1) throws {
        // Rank 0 reads the file and every file it names; the other ranks get the bytes.
        let e = try SharedInput.load(Ranks.mpi, prefetch: { Experiment.readFiles(path: file) }) {
            try Experiment.load(path: file)
        }
        // An experiment with a sweep or a search object is that sweep or search (DESIGN: `trainsim FILE`).
        if !e.sweep.isEmpty || e.search != nil {
            // A trace and Monte Carlo trials belong to one run: said rather than silently dropped.
            let kind = e.sweep.isEmpty ? "search" : "sweep"
            if trace != nil {
                throw CLIError.badInput("\(file): --trace shows one step's timeline; this file is a \(kind) (trace one plan's experiment, without the \(kind) object)")
            }
            if trials > 0 {
                throw CLIError.badInput("\(file): --trials runs one plan's whole run; this file is a \(kind) (give the trials to one plan's experiment, without the \(kind) object)")
            }
            var args = [file, "--format", out.format.rawValue]
            if let o = out.output { args += ["--output", o] }
            if let emit {
                guard e.search != nil else { throw CLIError.badInput("\(file): --emit needs one plan; this file is a sweep (emit one point's experiment, or search)") }
                args += ["--emit", emit.rawValue]
            }
            if let html { args += ["--html", html] }
            if !e.sweep.isEmpty {
                let sweep = try SweepCommand.parse(args)
                try sweep.run()
            } else {
                let search = try SearchCommand.parse(args)
                try search.run()
            }
            return
        }
        // The plan as launch arguments: no simulation needed.
        if let emit {
            try Output.emit(LaunchArguments.render(e, flavour: emit), to: out.output)
            return
        }
        var a = try Analysis.analyze(e)
        let runner: TrialRunner = Ranks.mpi.map { MonteCarloMPI.runner($0) } ?? MonteCarlo.serial
        var whole: WholeRun?
        var cannotFinish: TrainSimError?
        do {
            let w = try WholeRun.wholeRun(for: a, trials: trials, seed: seed, trialRunner: runner)
            a.addWholeRun(w)
            whole = w
        } catch {
            guard error.kind == .cannotRun else { throw error }
            cannotFinish = error
        }
        try Output.emit(a.render(out.format), to: out.output)
        if let trace { try Output.emit(JSONWriter.write(try StepTrace(experiment: a.experiment).traceJSON(), pretty: false) + "\n", to: trace) }
        if let html { try Output.emit(HTMLReport.run(a), to: html) }
        // Everything that keeps the run from working, on one line.
        var problems: [String] = []
        if !a.fits {
            problems.append("the plan needs \(String(format: "%.1f", a.step.memory.peakGiB)) GiB per device; \(a.experiment.cluster.topology.device.name) has \(String(format: "%.1f", a.step.memory.capacityGiB)) GiB (out of memory)")
        } else if let whole, !whole.fits {
            for p in whole.phases where !p.analysis.fits {
                problems.append("phase \(p.name) needs \(String(format: "%.1f", p.analysis.step.memory.peakGiB)) GiB per device; \(a.experiment.cluster.topology.device.name) has \(String(format: "%.1f", p.analysis.step.memory.capacityGiB)) GiB (out of memory)")
            }
        }
        if let why = whole?.collapseReason { problems.append(why) }
        if let cannotFinish {
            let text = cannotFinish.description
            problems.append(text.hasPrefix(file + ": ") ? String(text.dropFirst(file.count + 2)) : text)
        }
        if !problems.isEmpty {
            Output.note("\(file): " + problems.joined(separator: "; "))
            pendingExitCode = 1
        }
    }
}
