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
