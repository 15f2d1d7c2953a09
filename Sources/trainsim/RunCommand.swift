import ArgumentParser
import Foundation
import TrainSimCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Simulate one experiment: step time, throughput, MFU, memory, and the whole run's days, energy and cost.",
        discussion: """
        FILE is an experiment file (see README). `trainsim FILE` is the same as `trainsim run FILE`.
        Exit status: 0 on success, 1 when the plan does not fit in memory (the report is still printed),
        2 on bad input.
        """)

    @Argument(help: "The experiment file (JSON).")
    var file: String

    @OptionGroup var out: OutputOptions

    @Option(name: .long, help: "Write a Chrome trace (JSON; opens in Perfetto) of one step's pipeline schedule to FILE.")
    var trace: String?

    @Option(name: .long, help: "Write a self-contained HTML report to FILE.")
    var html: String?

    func run() throws {
        let e = try Experiment.load(path: file)
        let a = try Analysis.analyze(e)
        try Output.emit(a.render(out.format), to: out.output)
        if let trace { try Output.emit(JSONWriter.write(PipelineTrace(analysis: a).traceJSON(), pretty: false) + "\n", to: trace) }
        if let html { try Output.emit(HTMLReport.render([a]), to: html) }
        if !a.fits {
            Output.note("\(file): the plan needs \(String(format: "%.1f", a.step.memory.peakGiB)) GiB per device; \(a.experiment.cluster.topology.device.name) has \(String(format: "%.1f", a.step.memory.capacityGiB)) GiB (out of memory)")
            pendingExitCode = 1
        }
    }
}
