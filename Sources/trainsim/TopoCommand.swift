import ArgumentParser
import Foundation
import TrainSimCore

struct TopoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topo",
        abstract: "Describe a cluster design: devices, switches and links per tier, bisection bandwidth, oversubscription, diameter, and the busbw each collective reaches.",
        discussion: """
        FILE is a Topologies/ preset name (h800-ib) or path, or an experiment file (its cluster is used).

        Examples:
          trainsim topo h800-ib --devices 2048
          trainsim topo cloudmatrix384 --group-sizes 8,384
          trainsim topo Experiments/deepseek-v3-h800-2048.json --format json
        """)

    @Argument(help: "A topology preset or file, or an experiment file.")
    var file: String

    @Option(name: .long, help: "Devices to build the design for (default: the experiment's, or enough for the largest group): whole nodes, or fewer than one node (one partial node, said so in the output).")
    var devices: Int?

    @Option(name: .long, help: "Comma-separated group sizes for the busbw table.")
    var groupSizes: String = "8,64,512"

    @OptionGroup var out: OutputOptions

    func run() throws {
        let sizes = try groupSizes.split(separator: ",").map { s -> Int in
            guard let n = Int(s.trimmingCharacters(in: .whitespaces)), n >= 2, n <= 10_000_000 else {
                throw CLIError.badInput("--group-sizes: \"\(s)\" is not a group size from 2 to 10,000,000")
            }
            return n
        }
        var spec: TopologySpec
        var count = devices
        if file.hasSuffix(".json"), FileManager.default.fileExists(atPath: file),
           let json = try? DataLocator.readJSON(URL(fileURLWithPath: file)), json["model"] != nil {
            let e = try Experiment.load(path: file)
            spec = e.cluster.topology
            if count == nil { count = e.cluster.devices }
        } else {
            spec = try TopologySpec.load(file, relativeTo: nil, referencedFrom: nil, keyPath: "topology")
        }
        let summary: TopoSummary
        do { summary = try TopoSummary.make(spec: spec, devices: count, groupSizes: sizes) } catch {
            // A count given on the command line is reported as the option, not as an experiment key.
            if devices != nil, error.path == "cluster.devices" { var e = error; e.path = "--devices"; throw e }
            throw error
        }
        try Output.emit(summary.render(format: out.format.rawValue), to: out.output)
    }
}
