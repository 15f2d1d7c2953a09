import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure trainsim's own speed: reduction kernels, the flow-level network kernel, and more; each as a ratio against a baseline measured in the same run.",
        discussion: """
        kernels   GB/s of fp32/bf16/fp16 sum and max at 256 KiB and 256 MiB, beside memcpy and MPI_Reduce_local.
        timeline  one step's timeline: ms per step and operations for DeepSeek-V3 (DualPipe), a 9,216-device MoE and a 16,384-device dense plan; plans/s and the pruned search of Experiments/search-deepseek-v3-h800.json; the whole `trainsim FILE` process on the MoE plan.
        network   the SIMD max-min solver vs a scalar reference; one step of a 9,216-device MoE plan and a 100,000-device dense plan in flow mode, with peak memory.
        montecarlo  whole-run Monte Carlo trials per second on one worker and the speedup on two.
        sweep     sweep points per CPU-second on Experiments/sweep-bench-llama3-70b.json (25,920 points; new and old path) and the timeline plans per CPU-second it simulates, 1 vs 2 MPI ranks on all \
        its points with the machine's own ceiling (two 1-rank sweeps side by side), peak memory of a 10,000- and a 1,000,000-point sweep (JSON and CSV); search plans per second and its 1-vs-2-rank speedup.
        all       everything above.

        Examples:
          trainsim bench kernels
          trainsim bench timeline
          trainsim bench
        """)

    @Argument(help: "What to measure: kernels, timeline, network, montecarlo, sweep or all.")
    var what: String = "all"

    /// This executable's path, for the benchmarks that start it again: argv[0] alone names no
    /// file when trainsim was found on PATH.
    static var binary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func run() throws {
        let choices = ["kernels", "timeline", "network", "montecarlo", "sweep", "all"]
        guard choices.contains(what) else {
            throw CLIError.badInput("bench: \"\(what)\" is not one of \(choices.joined(separator: ", "))")
        }
        var text = ""
        if what == "kernels" || what == "all" {
            text += KernelBench.run()
            try Output.emit(text, to: nil); text = ""
        }
        if what == "timeline" || what == "all" {
            try Output.emit(try TimelineBench.run(), to: nil)
            try Output.emit(try TimelineBench.search(), to: nil)
            try Output.emit(WholeProcessBench.run(binary: Self.binary), to: nil)
        }
        if what == "network" || what == "all" {
            text += try NetworkBench.run()
            try Output.emit(text, to: nil); text = ""
        }
        if what == "montecarlo" || what == "all" {
            text += MonteCarloBench.run()
            try Output.emit(text, to: nil); text = ""
        }
        if what == "sweep" || what == "all" {
            text += SweepBench.points(binary: Self.binary)
            try Output.emit(text, to: nil); text = ""
            text += SweepBench.run(binary: Self.binary)
        }
        try Output.emit(text, to: nil)
    }
}
