import ArgumentParser
import Foundation
import TrainSimCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run the published calibration cases and print predicted vs published with the error of each.",
        discussion: "Cases come from Tests/Calibration/cases.json in the trainsim folder (or FILE). Cases marked 'sets constants' were used to set device efficiency data; the others are held out. Each case has a tolerance; the exit code is 1 when any case is outside it.")

    @Argument(help: "A cases file (default: the shipped one).")
    var file: String?

    @OptionGroup var out: OutputOptions

    func run() throws {
        guard let path = file ?? CalibrationSuite.defaultPath else {
            throw CLIError.environment("cannot find Tests/Calibration/cases.json; set TRAINSIM_HOME to the trainsim folder")
        }
        let results = try CalibrationSuite.evaluate(try CalibrationSuite.load(path: path))
        try Output.emit(CalibrationSuite.render(results, format: out.format), to: out.output)
        let outside = results.filter { !$0.withinTolerance }
        if !outside.isEmpty {
            throw CLIError.cannotRun("\(outside.count) case(s) outside their tolerance: " + outside.map { $0.case.id }.joined(separator: ", "))
        }
    }
}
