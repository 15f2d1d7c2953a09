import ArgumentParser
import Foundation
import TrainSimCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run the published calibration cases and print predicted vs published with the error of each.",
        discussion: """
        Cases come from Tests/Calibration/cases.json and cases-2.json in the trainsim folder (or the FILEs given). Held-out accuracy is printed per device family (silicon) and per stack. Cases marked 'sets constants' were used to set device efficiency data; the others are held out. Each case has a tolerance; the exit code is 1 when any case is outside it. With the shipped cases it also sets each shipped experiment's MFU beside the range the published runs on the same silicon, of the same model kind and precision class reach.

        Examples:
          trainsim validate
          trainsim validate --format md
          trainsim validate my-cases.json more-cases.json
        """)

    @Argument(help: "Cases files (default: the shipped Tests/Calibration/cases.json and cases-2.json).")
    var files: [String] = []

    @OptionGroup var out: OutputOptions

    func run() throws {
        guard let paths = files.isEmpty ? CalibrationSuite.defaultPaths : files else {
            throw CLIError.environment("cannot find Tests/Calibration/cases.json; set TRAINSIM_HOME to the trainsim folder")
        }
        var cases: [CalibrationCase] = []
        for p in paths { cases += try CalibrationSuite.load(path: p) }
        let results = try CalibrationSuite.evaluate(cases)
        // The shipped examples beside the published runs of their kind, when the shipped cases ran.
        let shipped = files.isEmpty ? try ShippedRanges.shipped(against: results) : []
        try Output.emit(CalibrationSuite.render(results, format: out.format, shipped: shipped), to: out.output)
        let outside = results.filter { !$0.withinTolerance }
        if !outside.isEmpty {
            throw CLIError.cannotRun("\(outside.count) case(s) outside their tolerance: " + outside.map { $0.case.id }.joined(separator: ", "))
        }
    }
}
