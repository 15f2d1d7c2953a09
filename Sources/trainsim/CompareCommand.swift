import ArgumentParser
import Foundation
import TrainSimCore

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs side by side: step time and its breakdown, MFU, days, cost, energy, memory, exposed communication per tier.",
        discussion: """
        Each FILE is a report (trainsim run --format json), an experiment (simulated here), an experiment with a \
        sweep (one column per point; e.g. a sweep over cluster.topology compares topologies on the same workload), \
        or sweep results as JSON lines. The best value of each row is marked (* in text, bold in md). \
        --format md gives a table that pastes into a document.

        Examples:
          trainsim compare Experiments/sweep-llama3-70b-h800.json --format md
          trainsim compare a.json b.json
          trainsim compare Experiments/sweep-llama3-70b-h800.json --html compare.html
        """)

    @Argument(help: "Reports, experiments or sweep files (JSON).")
    var files: [String]

    @OptionGroup var out: OutputOptions

    @Option(name: .long, help: "Write a self-contained HTML page to FILE: the runs time against cost with the Pareto front, per topology, side by side.")
    var html: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to compare") }
    }

    func run() throws {
        let (table, notes) = try CompareTable.load(paths: files)
        for n in notes { Output.note(n) }
        try Output.emit(table.render(out.format, accuracy: true), to: out.output)
        if let html { try Output.emit(HTMLReport.compare(table), to: html) }
    }
}
