import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Simulate every point of an experiment's `sweep`: the cartesian product of the listed key paths.",
        discussion: """
        FILE is an experiment with a "sweep" object mapping key paths to lists of values, e.g. \
        {"parallelism.tp": [1, 2, 4, 8], "cluster.topology": ["h800-ib", "h800-hpn-dualplane"]}.
        Points are numbered in file order, the last key fastest. Points that cannot work (a plan that does \
        not divide, out of memory) are listed with the reason. Leave parallelism.dp out to let each point derive it.
        "model" itself may be swept: {"model": ["llama3-8b", "llama3-70b", "my-model.json"]}.

        Formats: text or md (a table), csv (one row per point, fixed columns), json (JSON lines, one per point).
        Where cluster.topology is the last key with several values, the table is followed by the topologies side by side for each setting of the other keys.
        Results stream to the output in point order as they finish: with --format json to FILE itself, otherwise \
        to FILE.jsonl beside it. A killed sweep rerun with --resume computes only the missing points; each line \
        carries a fingerprint of the experiment and its data files and a check, so lines of another experiment, \
        or edited ones, are refused (exit 2).
        A sweep has at most 1,000,000 points; no rank keeps a point once written, so memory stays flat: the rank \
        that computes a point makes its CSV line, or its line for the tables (its row, formatted), and rank 0 puts \
        them in order in a temporary file, copied out (CSV) or rendered at the end \
        (text, md); only --html keeps every point. Under mpirun -np N rank 0 reads the files and sends them to the other ranks, the points are shared among the ranks, each rank writes its points' lines and rank 0 puts them in \
        order, and the output is the same for any N. A progress line (points done, rate, time left) is drawn when \
        stderr is a terminal, under mpirun when mpirun's stderr is one.
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

    @Flag(name: .long, help: "Do not simulate points whose plan does not fit in memory: they keep their status, reason, memory and plan, without step figures. Faster where many points do not fit; a resumed sweep must use the same setting.")
    var skipOutOfMemory = false

    @Flag(name: .long, help: "After the sweep, print on stderr the points per second and the CPU seconds of the busiest rank (what `trainsim bench sweep` reads).")
    var timing = false

    func run() throws {
        let started = Date()
        // Rank 0 reads the file and every file its points name; the other ranks get the bytes.
        let plan = try SharedInput.load(Ranks.mpi, prefetch: { Experiment.readFiles(path: file) }) {
            try SweepPlan.load(path: file)
        }
        let journalPath = out.output.map { out.format == .json ? $0 : $0 + ".jsonl" }
        var sink: OutputFile.Sink?
        var lines: [Int: String] = [:]
        var journal = SweepJournal(count: plan.count)
        // The points to compute: from `first` on, or, when a resumed file has points after a gap,
        // the list of those missing (a fresh sweep keeps no list of a million numbers).
        var first = 0
        var missing: [Int]?
        var failure: Error?
        var experiment = ""
        var tally = SweepTally()
        // CSV lines, or the lines the tables are rendered from (each point's table entry: its row
        // formatted, and the report only for topology tables), are made by the rank that computed each point
        // (`SweepTally.encode`); rank 0 only puts them in order, into an unlinked temporary file,
        // and at the end copies it out (CSV) or renders the tables from it (text, Markdown).
        // (With --html every point is kept, and the output is rendered from them as before.)
        let rowFormat: ReportFormat? = out.format != .json && html == nil ? out.format : nil
        // A table line carries its point's report only for the topology tables.
        let reports = SweepOutput.comparesTopologies(plan)
        var rows: OutputFile.Sink?
        var rowOrder = SweepJournal(count: plan.count)
        var rowError: Error?
        if Ranks.isRoot {
            do {
                if out.format != .json { try OutputFile.check(out.output) }
                try OutputFile.check(html)
                // Lines of points not simulated differ from simulated ones: a resume may not mix them.
                experiment = skipOutOfMemory ? FNV1a.hex(Array((plan.fingerprint() + "\nskip-out-of-memory").utf8)) : plan.fingerprint()
                if rowFormat != nil { rows = try OutputFile.temporary() }
                // A resumed file's lines are counted as they are read; only --html keeps them. For a
                // sweep printed as CSV or tables each point comes with the report fields its row
                // reads (read with the line's check, `reports`), and its row is made here.
                func count(_ p: SweepPoint, _ line: String) {
                    tally.add(status: p.status, reason: p.reason)
                    if html != nil { lines[p.index] = line }
                    guard let rows, rowError == nil else { return }
                    do {
                        try rows.write(rowOrder.add(index: p.index, line: SweepOutput.rowLine(p, format: out.format, reports: reports)))
                    } catch { rowError = error }
                }
                let resumed: SweepJournal.Resumed
                (sink, resumed, journal) = try openJournal(journalPath, plan: plan, experiment: experiment, reports: rows != nil, prefixLine: count)
                // Lines after a gap (rare: the journal is written in order) are decoded again here.
                for (_, line) in resumed.lines { count(try SweepPoint(line: String(line.dropLast())), line) }
                if let rowError { throw rowError }
                first = resumed.prefixCount
                if !resumed.lines.isEmpty { missing = (first..<plan.count).filter { resumed.lines[$0] == nil } }
                let left = missing?.count ?? plan.count - first
                if resume { Output.note("\(file): resuming: \(plan.count - left) of \(plan.count) points done, computing \(left)") }
                if let sink { try sink.write(journal.ready()) }
            } catch { failure = error }
        }
        // Every rank learns whether rank 0 could start, so none waits for work that never comes.
        if let mpi = Ranks.mpi {
            let message = mpi.broadcast(Data((failure.map { "\($0)" } ?? "").utf8))
            if failure == nil, !message.isEmpty { failure = CLIError.environment(String(decoding: message, as: UTF8.self)) }
        }
        if let failure { throw failure }
        if let mpi = Ranks.mpi {
            let list = mpi.broadcast(missing.map { [1, first] + $0 } ?? [0, first])
            first = list[1]
            missing = list[0] == 1 ? Array(list.dropFirst(2)) : nil
            experiment = String(decoding: mpi.broadcast(Data(experiment.utf8)), as: UTF8.self)
        }

        // Each rank simulates its points and writes their sealed lines (and rows) itself; rank 0
        // only puts them in order and writes them to the journal (and the rows' file). Tables
        // (text, md) are rendered from the rows' file read back from disk; only --html keeps
        // every point until the end.
        let keep = html != nil
        // Journal lines are made only where something keeps them: the journal file (FILE.jsonl,
        // or FILE itself for JSON lines), JSON lines on standard output, or --html. (Every rank
        // decides alike from the same options.)
        let journalLines = journalPath != nil || out.format == .json || keep
        let todo = missing?.count ?? plan.count - first
        func point(_ k: Int) -> Int { missing?[k] ?? first + k }
        var progress = Progress(total: todo, what: "sweep points")
        // A write that fails (a full disk) ends the sweep with one line; what was written before
        // it is a run of complete lines and a torn tail, which --resume picks up.
        var writeError: Error?
        // Results are collected on rank 0's messaging thread while it computes points: the
        // computing side sees a failed write through a lock.
        let failed = WriteFailure()
        let evaluator = SweepEvaluator(plan)
        evaluator.skipOutOfMemory = skipOutOfMemory
        WorkQueue(mpi: Ranks.mpi, maxChunk: 64, block: missing == nil ? plan.innerBlock(atLeast: 64) : 1).run(count: todo, work: { k in
            if failed.isSet { return nil }
            return SweepTally.encode(evaluator.evaluate(point(k)), experiment: experiment, rows: rowFormat, reports: reports, journal: journalLines)
        }, collect: { k, data in
            guard writeError == nil else { return }
            let i = point(k), (status, reason, line, row) = SweepTally.decode(data)
            tally.add(status: status, reason: reason)
            if keep { lines[i] = line }
            do {
                try sink?.write(journal.add(index: i, line: line))
                try rows?.write(rowOrder.add(index: i, line: row))
            } catch { writeError = error; failed.set() }
        }, progress: { progress.advance($0) })
        progress.finish()
        if timing {
            var ts = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
            let cpu = Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
            let busiest = Ranks.mpi?.allReduceMax(cpu) ?? cpu
            let seconds = Date().timeIntervalSince(started)
            Output.note("\(file): \(todo) points in \(String(format: "%.2f", seconds)) s (\(Fmt.num(Double(todo) / max(seconds, 1e-9))) points/s on "
                + "\(Ranks.size) rank\(Ranks.size == 1 ? "" : "s"); busiest rank: \(String(format: "%.3f", busiest)) CPU-s)")
        }
        guard Ranks.isRoot else { return }
        sink?.close()
        if let writeError { throw writeError }

        // The same input error at every point is a mistake in the file, not a sweep result.
        if tally.allInvalidForOneReason { throw TrainSimError(file: file, tally.reason ?? "no point works") }
        if keep {
            var points: [SweepPoint] = []
            points.reserveCapacity(plan.count)
            for i in 0..<plan.count {
                guard let l = lines.removeValue(forKey: i) else { throw CLIError.environment("sweep: point #\(i) has no result") }
                points.append(try SweepPoint(line: String(l.dropLast())))
            }
            if out.format != .json { try Output.emit(SweepOutput.render(points, plan: plan, format: out.format), to: out.output) }
            if let html { try Output.emit(HTMLReport.sweep(points, plan: plan), to: html) }
        }
        if let rows, rowFormat == .csv {
            try OutputFile.stream(to: out.output) { sink in
                try sink.write(SweepOutput.csvHeader(plan))
                try rows.copyAll(to: sink)
            }
        }
        if let rows, rowFormat != .csv {
            let reader = TableLineReader(fd: dup(rows.fd), path: "the sweep's table lines")
            try OutputFile.stream(to: out.output) { sink in
                // Pieces gathered to about 1 MB per write.
                var buffer = ""
                try SweepOutput.writeTable(reader.entries, plan: plan, markdown: out.format == .md) { piece in
                    buffer += piece
                    if buffer.utf8.count >= 1 << 20 { try sink.write(buffer); buffer = "" }
                }
                try sink.write(buffer)
            }
        }
        if !tally.anyWorks {
            Output.note("\(file): no point of the sweep works (see the reasons)")
            pendingExitCode = 1
        }
    }

    /// Rank 0: the stream for results (the output file, FILE.jsonl, or stdout for JSON lines),
    /// with what an interrupted run left in it when resuming.
    /// A resumed journal is read a piece at a time: each line of its in-order prefix goes to
    /// `prefixLine`; the lines after a gap come back in `Resumed.lines`.
    /// `reports`: the points handed to `prefixLine` carry the report fields rows read.
    func openJournal(_ path: String?, plan: SweepPlan, experiment: String, reports: Bool,
                     prefixLine: (SweepPoint, String) -> Void) throws -> (OutputFile.Sink?, SweepJournal.Resumed, SweepJournal) {
        guard let path else {
            if resume { throw CLIError.badInput("--resume needs --output FILE: the file the interrupted sweep was writing") }
            // CSV and tables on standard output need no journal: they are made from the rows' file.
            return (out.format == .json ? OutputFile.Sink.standardOutput : nil, .none, SweepJournal(count: plan.count))
        }
        let (sink, existing) = try OutputFile.openJournal(path, resume: resume)
        var resumed = SweepJournal.Resumed.none
        if existing {
            resumed = try SweepJournal.resume(reading: sink.readPiece, plan: plan, experiment: experiment, file: path, reports: reports, prefixLine: prefixLine)
            try sink.truncate(at: resumed.prefixBytes)
        }
        return (sink, resumed, SweepJournal(count: plan.count, written: resumed.prefixCount, held: resumed.lines))
    }
}

/// Whether a write of the sweep's journal failed, readable from any thread.
final class WriteFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
