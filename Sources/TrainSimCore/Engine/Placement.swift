/// Where each parallel rank sits: the plan's dimensions laid out over device numbers in the
/// placement order (innermost first; default tp, cp, ep, pp, dp, so TP stays inside the
/// fastest domain). Experts are spread over data-parallel ranks: the `ep` dimension is carved
/// out of dp (and cp when dp alone cannot hold it).
public struct Placement: Sendable, Equatable {
    public var tp: GroupDim, cp: GroupDim, epPart: GroupDim, pp: GroupDim, dpOuter: GroupDim
    /// Whether the EP group also spans the CP dimension.
    public var epSpansCP: Bool

    public init(_ p: ParallelismSpec) {
        var epFromDp = p.ep
        var spansCP = false
        if p.dp % p.ep != 0, p.ep % p.cp == 0, p.dp % (p.ep / p.cp) == 0 {
            epFromDp = p.ep / p.cp
            spansCP = true
        }
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
    }

    public var tpGroup: CommGroup { CommGroup([tp]) }
    public var cpGroup: CommGroup { CommGroup([cp]) }
    public var ppGroup: CommGroup { CommGroup([pp]) }
    /// Gradients of dense parameters are reduced over dp x cp.
    public var dpGroup: CommGroup { CommGroup([cp, epPart, dpOuter]) }
    /// The expert-parallel all-to-all group.
    public var epGroup: CommGroup { epSpansCP ? CommGroup([cp, epPart]) : CommGroup([epPart]) }
    /// Gradients of expert parameters are reduced over the ranks that hold the same experts.
    public var expertDPGroup: CommGroup { epSpansCP ? CommGroup([dpOuter]) : CommGroup([cp, dpOuter]) }
    /// Two adjacent pipeline stages (a send/recv pair).
    public var ppNeighbours: CommGroup { CommGroup([GroupDim(size: min(pp.size, 2), stride: pp.stride)]) }
}
