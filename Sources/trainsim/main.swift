import ArgumentParser
import Foundation
import TrainSimCore
import TrainSimMPI

struct Trainsim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainsim",
        abstract: "Simulate large-scale LLM training: how long a run takes on a cluster, what it costs, and which plan is best.",
        discussion: """
        trainsim FILE            is trainsim run FILE.
        Under mpirun, sweeps, searches and Monte Carlo trials are shared among ranks; rank 0 prints.
        Data files (Topologies/) are found beside the experiment, in the current folder, or via TRAINSIM_HOME.

        Examples:
          trainsim Experiments/quickstart-llama3-8b-a100.json
          trainsim search Experiments/search-deepseek-v3-h800.json --top 5
          trainsim import megatron Experiments/launch/train_gpt3_175b_distributed.sh --topology a100-80g-ib
          trainsim run Experiments/deepseek-v3-h800-2048.json --emit megatron
          trainsim VERB --help
        """,
        version: Version.line,
        subcommands: [RunCommand.self, TopoCommand.self, ValidateCommand.self, CalibrateCommand.self, BenchCommand.self, MPISelfTestCommand.self,
                      SweepCommand.self, SearchCommand.self, CompareCommand.self, ImportCommand.self],
        defaultSubcommand: RunCommand.self)
}

// A step's simulation allocates its arrays afresh (a search or sweep runs thousands): keep freed
// memory in the heap for the next one rather than returning it to the kernel and taking page
// faults on every new array (glibc would mmap and unmap any block above 128 KiB).
// (M_MMAP_THRESHOLD is -3 and M_TRIM_THRESHOLD -1 in glibc's malloc.h; Swift does not import the latter.)
#if os(Linux)
@_silgen_name("mallopt") func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
_ = glibcMallopt(-3, 32 << 20)
_ = glibcMallopt(-1, 64 << 20)
#endif

// Entry point: parse, run, and map every error to one line on stderr and an exit code
// (0 ok, 1 valid input that cannot run, 2 bad input). Never a trap or a stack trace.
let code: Int32
do {
    // Under mpirun every rank runs rank 0's command line (an MPMD launch may give ranks different ones).
    let arguments = SharedInput.arguments(Ranks.mpi, Array(CommandLine.arguments.dropFirst()))
    if let plain = RunCommand.plainRun(arguments) {
        try RunCommand.perform(file: plain.file, out: (plain.format, nil))
    } else {
        var command = try Trainsim.parseAsRoot(arguments)
        // Verbs that share no work among ranks (topo, validate, compare, bench) run on rank 0 alone, which
        // alone reads their input; the other ranks only agree on the exit code.
        let sharesWork: [any ParsableCommand.Type] = [RunCommand.self, SweepCommand.self, SearchCommand.self, CalibrateCommand.self, MPISelfTestCommand.self]
        if Ranks.isRoot || sharesWork.contains(where: { $0 == type(of: command) }) { try command.run() }
    }
    code = pendingExitCode
} catch let e as TrainSimError {
    if Ranks.isRoot { FileHandle.standardError.write(Data(("trainsim: " + e.description + "\n").utf8)) }
    code = e.exitCode
} catch let e as CLIError {
    if Ranks.isRoot { FileHandle.standardError.write(Data(("trainsim: " + escapingControlCharacters(e.description) + "\n").utf8)) }
    code = e.exitCode
} catch {
    let exit = Trainsim.exitCode(for: error)
    let message = Trainsim.fullMessage(for: error)
    if exit == .success {
        if Ranks.isRoot { print(message) }
        code = 0
    } else {
        let first = message.split(separator: "\n").first.map(String.init) ?? "bad arguments"
        let line = escapingControlCharacters(first.replacingOccurrences(of: "Error: ", with: ""))
        if Ranks.isRoot { FileHandle.standardError.write(Data(("trainsim: " + line + "\n").utf8)) }
        code = 2
    }
}
Ranks.finish(code)
