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
        let sizes: [String: Int] = ["tp": p.tp, "cp": p.cp, "ep": epFromDp, "pp": p.pp, "dp": p.dp / epFromDp]
        var stride = 1
        var dims: [String: GroupDim] = [:]
        for name in p.order {
            let s = sizes[name] ?? 1
            dims[name] = GroupDim(size: s, stride: stride)
            stride *= s
        }
        tp = dims["tp"]!; cp = dims["cp"]!; epPart = dims["ep"]!; pp = dims["pp"]!; dpOuter = dims["dp"]!
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
