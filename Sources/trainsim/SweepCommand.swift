import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Simulate every point of an experiment's `sweep`: the cartesian product of the listed key paths.",
        discussion: """
        FILE is an experiment with a "sweep" object mapping key paths to lists of values, e.g.
        {"parallelism.tp": [1, 2, 4, 8], "cluster.topology": ["h800-ib", "h800-hpn-dualplane"]}.
        Points are numbered in file order, the last key fastest. Points that cannot work (a plan that does
        not divide, out of memory) are listed with the reason. Leave parallelism.dp out to let each point derive it.

        Formats: text or md (a table), csv (one row per point, fixed columns), json (JSON lines, one per point).
        Results stream to the output in point order as they finish: with --format json to FILE itself, otherwise
        to FILE.jsonl beside it. A killed sweep rerun with --resume computes only the missing points; each line
        carries a fingerprint of the experiment and its data files and a check, so lines of another experiment,
        or edited ones, are refused (exit 2).
        A sweep has at most 100,000 points. Under mpirun -np N rank 0 reads the files and sends them to the other
        ranks, the points are shared among the ranks, and the output is the same for any N.
        Exit status: 0 when at least one point works, 1 when none does, 2 on bad input.

        Examples:
          trainsim sweep Experiments/sweep-llama3-70b-h800.json
          trainsim sweep Experiments/sweep-llama3-70b-h800.json --format csv
          trainsim sweep Experiments/sweep-llama3-70b-h800.json --html sweep.html
          trainsim sweep big.json --format json --output points.jsonl --resume
        """)

    @Argument(help: "The experiment file with a sweep object (JSON).")
    var file: String

    @OptionGroup var out: OutputOptions

    @Option(name: .long, help: "Write a self-contained HTML page to FILE: step time against cost with the Pareto front, per-topology bars, the fastest plans.")
    var html: String?

    @Flag(name: .long, help: "Keep the points already in the output (or FILE.jsonl) and compute only the missing ones.")
    var resume = false

    func run() throws {
        // Rank 0 reads the file and every file its points name; the other ranks get the bytes.
        let plan = try SharedInput.load(Ranks.mpi) {
            Experiment.readFiles(path: file)
            return try SweepPlan.load(path: file)
        }
        let journalPath = out.output.map { out.format == .json ? $0 : $0 + ".jsonl" }
        var sink: OutputFile.Sink?
        var lines: [Int: String] = [:]
        var journal = SweepJournal(count: plan.count)
        var todo: [Int] = []
        var failure: Error?
        var experiment = ""
        if Ranks.isRoot {
            do {
                if out.format != .json { try OutputFile.check(out.output) }
                try OutputFile.check(html)
                experiment = plan.fingerprint()
                (sink, lines, journal) = try openJournal(journalPath, plan: plan, experiment: experiment)
                todo = (0..<plan.count).filter { lines[$0] == nil }
                if resume { Output.note("\(file): resuming: \(plan.count - todo.count) of \(plan.count) points done, computing \(todo.count)") }
                if let sink { try sink.write(journal.ready()) }
            } catch { failure = error }
        }
        // Every rank learns whether rank 0 could start, so none waits for work that never comes.
        if let mpi = Ranks.mpi {
            let message = mpi.broadcast(Data((failure.map { "\($0)" } ?? "").utf8))
            if failure == nil, !message.isEmpty { failure = CLIError.environment(String(decoding: message, as: UTF8.self)) }
        }
        if let failure { throw failure }
        if let mpi = Ranks.mpi { todo = mpi.broadcast(todo) }

        var progress = Progress(total: todo.count, what: "sweep points")
        // A write that fails (a full disk) ends the sweep with one line; what was written before
        // it is a run of complete lines and a torn tail, which --resume picks up.
        var writeError: Error?
        WorkQueue(mpi: Ranks.mpi, maxChunk: 16).run(count: todo.count, work: { k in
            if writeError != nil { return nil }
            return Data(plan.evaluate(todo[k]).jsonLine.utf8)
        }, collect: { k, data in
            guard writeError == nil else { return }
            let i = todo[k], line = SweepJournal.seal(String(decoding: data, as: UTF8.self), experiment: experiment)
            lines[i] = line
            do { try sink?.write(journal.add(index: i, line: line)) } catch { writeError = error }
        }, progress: { progress.advance($0) })
        progress.finish()
        guard Ranks.isRoot else { return }
        sink?.close()
        if let writeError { throw writeError }

        var points: [SweepPoint] = []
        for i in 0..<plan.count {
            guard let l = lines[i] else { throw CLIError.environment("sweep: point #\(i) has no result") }
            points.append(try SweepPoint(line: String(l.dropLast())))
        }
        // The same input error at every point is a mistake in the file, not a sweep result.
        if let first = points.first, first.status == .invalid, points.allSatisfy({ $0.status == .invalid && $0.reason == first.reason }) {
            throw TrainSimError(file: file, first.reason ?? "no point works")
        }
        if out.format != .json { try Output.emit(SweepOutput.render(points, plan: plan, format: out.format), to: out.output) }
        if let html { try Output.emit(HTMLReport.sweep(points, plan: plan), to: html) }
        if !points.contains(where: { $0.status == .ok }) {
            Output.note("\(file): no point of the sweep works (see the reasons)")
            pendingExitCode = 1
        }
    }

    /// Rank 0: the stream for results (the output file, FILE.jsonl, or stdout for JSON lines),
    /// with what an interrupted run left in it when resuming.
    func openJournal(_ path: String?, plan: SweepPlan, experiment: String) throws -> (OutputFile.Sink?, [Int: String], SweepJournal) {
        guard let path else {
            if resume { throw CLIError.badInput("--resume needs --output FILE: the file the interrupted sweep was writing") }
            return (out.format == .json ? OutputFile.Sink.standardOutput : nil, [:], SweepJournal(count: plan.count))
        }
        let (sink, existing) = try OutputFile.openJournal(path, resume: resume)
        var resumed = SweepJournal.Resumed.none
        if let existing {
            resumed = try SweepJournal.resume(existing, plan: plan, experiment: experiment, file: path)
            try sink.truncate(at: resumed.prefixBytes)
        }
        return (sink, resumed.lines, SweepJournal(count: plan.count, written: resumed.prefixCount, held: resumed.lines))
    }
}
