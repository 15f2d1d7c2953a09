import ArgumentParser
import TrainSimCore

/// Options every reporting verb takes.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text, json, csv or md.")
    var format: ReportFormat = .text

    @Option(name: .long, help: "Write the report to FILE instead of standard output (a regular file is replaced whole; a device or FIFO is written as it is; a symbolic link to a file is refused).")
    var output: String?
}

// The values and descriptions ArgumentParser would derive through key paths and reflection at every
// start (about 1.6 M instructions), given directly: the same strings.
extension ReportFormat: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    public static var allValueDescriptions: [String: String] { [:] }
    public var defaultValueDescription: String { rawValue }
}

/// `--emit megatron|mindspeed`: the plan as launch arguments instead of the report.
struct EmitOption: ParsableArguments {
    @Option(name: .long, help: "Print the plan as Megatron-LM or MindSpeed-LLM launch arguments (a bash block: megatron or mindspeed) instead of the report.")
    var emit: LaunchFlavour?
}

extension LaunchFlavour: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    public static var allValueDescriptions: [String: String] { [:] }
    public var defaultValueDescription: String { rawValue }
}
