import ArgumentParser
import TrainSimCore

/// `trainsim import KIND FILE`: another tool's description of a run as an experiment file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn another tool's launch description into a trainsim experiment file.",
        discussion: """
        Examples:
          trainsim import megatron Experiments/launch/train_gpt3_175b_distributed.sh --topology a100-80g-ib
          trainsim import megatron Experiments/launch/pretrain_qwen25_7b_mindspeed.sh --output qwen.json
        """,
        subcommands: [ImportMegatronCommand.self])
}
