/// Where each parallel rank sits: the plan's dimensions laid out over device numbers in the
/// placement order (innermost first; default tp, cp, ep, pp, dp, so TP stays inside the
/// fastest domain). Experts are spread over data-parallel ranks: the `ep` dimension is carved
/// out of dp, and, when dp alone cannot hold it, spans cp, then tp too: MoE layers have their own
/// grid over the same ranks (EP x expert-DP = TP x CP x DP, expert-TP 1), as Megatron-Core's
/// parallel folding lays them (Liu et al. 2025, "MoE Parallel Folding", arXiv 2504.14960).
public struct Placement: Sendable, Equatable {
    public var tp: GroupDim, cp: GroupDim, epPart: GroupDim, pp: GroupDim, dpOuter: GroupDim
    /// Whether the EP group also spans the CP dimension, and the TP dimension.
    public var epSpansCP: Bool
    public var epSpansTP: Bool = false
    /// Whether the TP ranks split each expert (expert tensor parallelism, `etp` > 1).
    public var expertsSplitOverTP: Bool = false
    /// Ranks that shard ZeRO's states (nil: the whole data-parallel group).
    public var shardGroup: Int?

    /// How EP is laid: (part carved from dp, spans cp, spans tp), or nil when it cannot be.
    static func layout(_ p: ParallelismSpec) -> (fromDp: Int, cp: Bool, tp: Bool)? {
        layout(tp: p.tp, cp: p.cp, dp: p.dp, ep: p.ep, etp: p.etp)
    }

    /// With `etp` > 1 the TP ranks split each expert, so EP cannot span them.
    static func layout(tp: Int, cp: Int, dp: Int, ep: Int, etp: Int = 1) -> (fromDp: Int, cp: Bool, tp: Bool)? {
        for (useCP, useTP) in [(false, false), (true, false), (false, true), (true, true)] {
            if (useCP && cp == 1) || (useTP && (tp == 1 || etp > 1)) { continue }
            let inner = (useCP ? cp : 1) * (useTP ? tp : 1)
            if ep % inner == 0, dp % (ep / inner) == 0 { return (ep / inner, useCP, useTP) }
        }
        return nil
    }

    /// Whether the plan's EP can be laid over its ranks.
    public static func foldable(_ p: ParallelismSpec) -> Bool { layout(p) != nil }
    public static func foldable(tp: Int, cp: Int, dp: Int, ep: Int, etp: Int = 1) -> Bool { layout(tp: tp, cp: cp, dp: dp, ep: ep, etp: etp) != nil }

    public init(_ p: ParallelismSpec) {
        var epFromDp = p.ep
        var spansCP = false, spansTP = false
        if let l = Self.layout(p) { (epFromDp, spansCP, spansTP) = l }
        // Arrays indexed like `names`, not dictionaries: the engine builds a placement per plan.
        let names = ["tp", "cp", "ep", "pp", "dp"]
        let sizes = [p.tp, p.cp, epFromDp, p.pp, p.dp / epFromDp]
        var stride = 1
        var dims = [GroupDim?](repeating: nil, count: names.count)
        for name in p.order {
            guard let k = names.firstIndex(of: name) else { continue }
            dims[k] = GroupDim(size: sizes[k], stride: stride)
            stride *= sizes[k]
        }
        tp = dims[0]!; cp = dims[1]!; epPart = dims[2]!; pp = dims[3]!; dpOuter = dims[4]!
        epSpansCP = spansCP
        epSpansTP = spansTP
        expertsSplitOverTP = p.etp > 1
        shardGroup = p.zeroShardGroup
    }

    public var tpGroup: CommGroup { CommGroup([tp]) }
    public var cpGroup: CommGroup { CommGroup([cp]) }
    public var ppGroup: CommGroup { CommGroup([pp]) }
    /// Gradients of dense parameters are reduced over dp x cp.
    public var dpGroup: CommGroup { CommGroup([cp, epPart, dpOuter]) }
    /// The expert-parallel all-to-all group.
    public var epGroup: CommGroup { CommGroup((epSpansTP ? [tp] : []) + (epSpansCP ? [cp] : []) + [epPart]) }
    /// Gradients of expert parameters are reduced over the ranks that hold the same experts
    /// (with expert-TP 1, the TP ranks outside the EP group hold them too; with experts split
    /// over TP, each TP rank holds its own slice).
    public var expertDPGroup: CommGroup { CommGroup((epSpansTP || expertsSplitOverTP ? [] : [tp]) + (epSpansCP ? [] : [cp]) + [dpOuter]) }
    /// With ZeRO's states sharded over groups of `shardGroup` (hybrid sharding): the dense
    /// gradients' group split into the shard group (innermost ranks) and the replicas across it,
    /// and the expert gradients' group split as many ways. nil when a group cannot be split.
    public var shardGroups: (dense: (inner: CommGroup, outer: CommGroup), expert: (inner: CommGroup, outer: CommGroup))? {
        guard let g = shardGroup else { return ((dpGroup, CommGroup([])), (expertDPGroup, CommGroup([]))) }
        let replicas = dpGroup.size / g
        guard replicas >= 1, dpGroup.size % g == 0, let dense = dpGroup.split(inner: g) else { return nil }
        let e = expertDPGroup
        // Expert states are sharded over their own group, replicated as many times as dense ones
        // (or not at all where that group is too small to be split so).
        let expert = e.size % replicas == 0 ? e.split(inner: e.size / replicas) ?? (e, CommGroup([])) : (e, CommGroup([]))
        return (dense, expert)
    }

    /// Two adjacent pipeline stages (a send/recv pair).
    public var ppNeighbours: CommGroup { CommGroup([GroupDim(size: min(pp.size, 2), stride: pp.stride)]) }
}
