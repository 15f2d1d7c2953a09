/// What the trace calls the operations the builder emits. Each is registered in the task graph
/// on first use (`StepGraphBuilder.name(_:)`), so building a pass's steps looks names up in an
/// array instead of building and hashing a string per step.
enum OpName: Int, CaseIterable {
    case embeddingF, embeddingB, outputF, outputB, outputW, weights
    case attentionF, attentionB
    case tpAllGather, tpReduceScatter, tpAllReduce, tpAllGatherChunk, tpReduceScatterChunk
    case tpAllGatherGrad, tpReduceScatterGrad, tpAllReduceGrad, tpAllGatherInput, tpAllGatherInputWgrad
    case tpAllGatherRouted, tpReduceScatterRouted, tpAllGatherRoutedGrad, tpReduceScatterRoutedGrad
    case cpQKVIn, cpOBack, cpGradOIn, cpGradQKVBack, cpRing, cpRingGrad, cpKVGather, cpKVGradScatter
    case epDispatch, epCombine, epCombineGrad, epDispatchGrad
    case dpReduceScatterUnit, dpAllReduceUnitShard, dpBroadcastParamShard, dpAllGatherParams
    case dpReduceScatterBucket, dpAllReduceBucket, dpAllReduceShardAcrossReplicas
    case ppSendActivations, ppSendGradients, embeddingGradAllReduce, gradNormAllReduce, optimizerStep, stepEnd
    // The layer pieces: forward, recomputed forward, backward, backward's weight-gradient GEMM;
    // each group in the same order (`recomputed`, `wgrad` step by the group's size).
    case qkvF, attentionProjF, routerF, expertsF, unpermuteF, mlpUpF, mlpDownF
    case qkvFRecompute, attentionProjFRecompute, routerFRecompute, expertsFRecompute, unpermuteFRecompute, mlpUpFRecompute, mlpDownFRecompute
    case qkvB, attentionProjB, routerB, expertsB, unpermuteB, mlpUpB, mlpDownB
    case qkvBWgrad, attentionProjBWgrad, routerBWgrad, expertsBWgrad, unpermuteBWgrad, mlpUpBWgrad, mlpDownBWgrad

    private static let pieces = 7
    /// The layer pieces' texts, in the order of each group.
    private static let pieceTexts = ["qkv", "attention proj", "router", "experts", "unpermute", "mlp up", "mlp down"]

    /// A forward piece's name when the forward is rerun before its backward (full recompute).
    func recomputed(_ yes: Bool) -> OpName {
        guard yes, rawValue >= OpName.qkvF.rawValue, rawValue < OpName.qkvFRecompute.rawValue else { return self }
        return OpName(rawValue: rawValue + OpName.pieces)!
    }

    /// A backward piece's weight-gradient GEMM.
    var wgrad: OpName {
        precondition(rawValue >= OpName.qkvB.rawValue && rawValue < OpName.qkvBWgrad.rawValue, "wgrad of a backward piece")
        return OpName(rawValue: rawValue + OpName.pieces)!
    }

    var text: String {
        switch self {
        case .embeddingF: "embedding F"
        case .embeddingB: "embedding B"
        case .outputF: "output F"
        case .outputB: "output B"
        case .outputW: "output W"
        case .weights: "W"
        case .attentionF: "attention F"
        case .attentionB: "attention B"
        case .tpAllGather: "tp all-gather"
        case .tpReduceScatter: "tp reduce-scatter"
        case .tpAllReduce: "tp all-reduce"
        case .tpAllGatherChunk: "tp all-gather (chunk)"
        case .tpReduceScatterChunk: "tp reduce-scatter (chunk)"
        case .tpAllGatherGrad: "tp all-gather (grad)"
        case .tpReduceScatterGrad: "tp reduce-scatter (grad)"
        case .tpAllReduceGrad: "tp all-reduce (grad)"
        case .tpAllGatherInput: "tp all-gather (input)"
        case .tpAllGatherInputWgrad: "tp all-gather (input, wgrad)"
        case .tpAllGatherRouted: "tp all-gather (routed)"
        case .tpReduceScatterRouted: "tp reduce-scatter (routed)"
        case .tpAllGatherRoutedGrad: "tp all-gather (routed grad)"
        case .tpReduceScatterRoutedGrad: "tp reduce-scatter (routed grad)"
        case .cpQKVIn: "cp all-to-all (Q, K, V in)"
        case .cpOBack: "cp all-to-all (O back)"
        case .cpGradOIn: "cp all-to-all (dO in)"
        case .cpGradQKVBack: "cp all-to-all (dQ, dK, dV back)"
        case .cpRing: "cp ring (KV)"
        case .cpRingGrad: "cp ring (KV, dKV)"
        case .cpKVGather: "cp all-gather (K, V)"
        case .cpKVGradScatter: "cp reduce-scatter (dK, dV)"
        case .epDispatch: "ep dispatch"
        case .epCombine: "ep combine"
        case .epCombineGrad: "ep combine (grad)"
        case .epDispatchGrad: "ep dispatch (grad)"
        case .dpReduceScatterUnit: "dp reduce-scatter (unit)"
        case .dpAllReduceUnitShard: "dp all-reduce (unit shard, across replicas)"
        case .dpBroadcastParamShard: "dp broadcast (param shard)"
        case .dpAllGatherParams: "dp all-gather (params)"
        case .dpReduceScatterBucket: "dp reduce-scatter (grad bucket)"
        case .dpAllReduceBucket: "dp all-reduce (grad bucket)"
        case .dpAllReduceShardAcrossReplicas: "dp all-reduce (grad shard, across replicas)"
        case .ppSendActivations: "pp send activations"
        case .ppSendGradients: "pp send gradients"
        case .embeddingGradAllReduce: "tied embedding grad all-reduce"
        case .gradNormAllReduce: "grad-norm all-reduce"
        case .optimizerStep: "optimizer step"
        case .stepEnd: "step end"
        case .qkvF, .attentionProjF, .routerF, .expertsF, .unpermuteF, .mlpUpF, .mlpDownF:
            OpName.pieceTexts[rawValue - OpName.qkvF.rawValue] + " F"
        case .qkvFRecompute, .attentionProjFRecompute, .routerFRecompute, .expertsFRecompute, .unpermuteFRecompute, .mlpUpFRecompute,
             .mlpDownFRecompute:
            OpName(rawValue: rawValue - OpName.pieces)!.text + " (recompute)"
        case .qkvB, .attentionProjB, .routerB, .expertsB, .unpermuteB, .mlpUpB, .mlpDownB:
            OpName.pieceTexts[rawValue - OpName.qkvB.rawValue] + " B"
        case .qkvBWgrad, .attentionProjBWgrad, .routerBWgrad, .expertsBWgrad, .unpermuteBWgrad, .mlpUpBWgrad, .mlpDownBWgrad:
            OpName(rawValue: rawValue - OpName.pieces)!.text + " wgrad"
        }
    }
}
