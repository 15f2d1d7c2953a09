import ArgumentParser
import Foundation
import TrainSimMPI

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this host's collectives the way nccl-tests does (run under mpirun), fit alpha-beta-gamma per algorithm, and optionally write a link profile.",
        discussion: """
        Examples:
          trainsim calibrate --max-bytes 1048576
          mpirun -np 2 trainsim calibrate --max-bytes 67108864 --write host.json
        """)

    @Option(name: .long, help: "Largest message size in bytes (default 256 MiB).")
    var maxBytes: Int = 256 << 20

    @Option(name: .long, help: "Write the fitted profile (JSON) to FILE; an experiment's cluster.linkProfile (or a Topologies/ file's linkProfile) naming it makes every run use the measured bandwidth and latency for the tier measured (scale-up on one host, scale-out across hosts).")
    var write: String?

    @Flag(name: .long, help: "Skip the MPI library's own collectives.")
    var noLibrary = false

    func run() throws {
        guard maxBytes >= 8, maxBytes <= 1 << 31 else { throw CLIError.badInput("--max-bytes: must be from 8 to 2147483648") }
        var options = Calibrate.Options()
        options.maxBytes = maxBytes
        options.includeLibrary = !noLibrary
        let result = try Calibrate.run(options: options, context: Ranks.require())
        if Ranks.isRoot || Ranks.require().isRoot {
            if let write { try OutputFile.write([UInt8](try result.profileJSON()) + [0x0a], to: write) }
            try OutputFile.Sink.standardOutput.write(result.renderText())
        }
    }
}

struct MPISelfTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-selftest",
        abstract: "Run every trainsim collective algorithm over MPI against the reference (for tests).",
        shouldDisplay: false)

    @Option(name: .long, help: "Element count.")
    var count: Int = 1001

    func run() throws {
        let failures = MPISelfTest.failures(count: count, context: Ranks.require())
        if !failures.isEmpty {
            for f in failures { FileHandle.standardError.write(Data((f + "\n").utf8)) }
            pendingExitCode = 1
        } else if Ranks.require().isRoot {
            print("mpi-selftest: all algorithms match the reference on \(Ranks.require().size) ranks")
        }
    }
}
