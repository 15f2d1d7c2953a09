import ArgumentParser
import Foundation
import TrainSimCore

struct ImportMegatronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "megatron",
        abstract: "Read a Megatron-LM or MindSpeed launch script (or argument file) and print the experiment it describes.",
        discussion: """
        FILE is a bash launch script (`torchrun ... pretrain_gpt.py $GPT_ARGS ...`, with variables, arrays, \
        ${VAR} expansion, line continuations and comments, read without running anything) or a plain file of \
        arguments. It prints an experiment file (JSON) that `trainsim run` takes: the model shape, batches, \
        sequence length, precision, recompute, the parallel plan (TP, PP, VPP, EP, CP, sequence parallelism, \
        the distributed optimizer as ZeRO 1), the stack's overlap flags, and the device count from NNODES x \
        GPUS_PER_NODE (or NPUS_PER_NODE, WORLD_SIZE, torchrun --nnodes/--nproc_per_node).
        Every argument it does not map is named on stderr, one line each ("ignored --lr: ..."), as is every \
        value it had to assume; the exit status is still 0. A script without a model shape needs --model; \
        a bad value (`--tensor-model-parallel-size x`) is one line and exit 2.
        The stack is MindSpeed when the script names it (import mindspeed, MindSpeed-LLM paths, the Ascend \
        toolkit, NPUS_PER_NODE, --use-mc2 ...), else Megatron-Core. A launch script does not name the cluster: \
        --topology does (default h100-ib, or ascend-910b-a2 for MindSpeed).

        Examples:
          trainsim import megatron Experiments/launch/train_gpt3_175b_distributed.sh --topology a100-80g-ib
          trainsim import megatron Experiments/launch/pretrain_qwen25_7b_mindspeed.sh --output qwen.json && trainsim run qwen.json
          trainsim import megatron args.txt --model llama3-8b --devices 64 --tokens 1e12
        """)

    @Argument(help: "The launch script or argument file.")
    var file: String

    @Option(name: .long, help: "The cluster design (a Topologies/ preset or path); default h100-ib, or ascend-910b-a2 for MindSpeed.")
    var topology: String?

    @Option(name: .long, help: "The software stack: megatron-core or mindspeed (default: detected from the script).")
    var stack: String?

    @Option(name: .long, help: "A model preset or model file for what the script does not give (all of the model when it gives no shape).")
    var model: String?

    @Option(name: .long, help: "Devices in the job, overriding the script's NNODES x GPUS_PER_NODE.")
    var devices: Int?

    @Option(name: .long, help: "Tokens the run trains on, overriding --train-iters / --train-samples.")
    var tokens: Double?

    @Option(name: .long, help: "Write the experiment to FILE instead of standard output.")
    var output: String?

    func validate() throws {
        if let devices, !(1...10_000_000).contains(devices) { throw ValidationError("--devices must be 1 to 10000000, found \(devices)") }
        if let tokens, !(tokens >= 1 && tokens <= 1e17) { throw ValidationError("--tokens must be 1 to 1e17, found \(tokens)") }
    }

    func run() throws {
        try OutputFile.check(output)
        let result = try MegatronImport.read(path: file, options: .init(topology: topology, stack: stack, model: model, devices: devices, tokens: tokens))
        // The experiment must run as printed: a plan that does not multiply out is bad input (exit 2,
        // one line, nothing printed).
        _ = try Experiment.decode(result.experiment, file: file, folder: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try Output.emit(JSONWriter.write(result.experiment) + "\n", to: output)
        for line in result.notes { Output.note("\(file): \(line)") }
    }
}
