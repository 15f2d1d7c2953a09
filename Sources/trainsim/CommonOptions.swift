import ArgumentParser
import TrainSimCore

/// Options every reporting verb takes.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, csv or md.")
    var format: ReportFormat = .text

    @Option(name: .long, help: "Write the report to FILE instead of standard output (a regular file is replaced whole; a device or FIFO is written as it is; a symbolic link to a file is refused).")
    var output: String?
}

extension ReportFormat: ExpressibleByArgument {}

/// `--emit megatron|mindspeed`: the plan as launch arguments instead of the report.
struct EmitOption: ParsableArguments {
    @Option(name: .long, help: "Print the plan as Megatron-LM or MindSpeed-LLM launch arguments (a bash block: megatron or mindspeed) instead of the report.")
    var emit: LaunchFlavour?
}

extension LaunchFlavour: ExpressibleByArgument {}
