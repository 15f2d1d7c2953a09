/// How a communication group sits on a cluster: members per scale-up domain, domains spanned,
/// and the highest fabric level its traffic climbs to.
public struct GroupShape: Sendable, Equatable {
    public var size: Int
    /// Members that share one scale-up domain.
    public var perDomain: Int
    /// Scale-up domains the group spans.
    public var domains: Int
    /// 0 = inside one node or domain; k >= 1 = under one tier-k switch subtree.
    public var level: Int
    /// Members under one first-tier switch subtree (a leaf and the nodes it serves): the group's
    /// second level for three-level hierarchical algorithms.
    public var perLeaf: Int

    /// Computed from the group's dimensions, without listing its members, when the dimensions
    /// nest as mixed-radix digits (each stride at least the span of the smaller ones), as every
    /// `Placement` group does; otherwise from the member list.
    public init(_ group: CommGroup, on cluster: Cluster) {
        let dims = group.dims.sorted { $0.stride < $1.stride }
        var span = 1
        var nested = true
        for d in dims {
            if d.stride < span { nested = false; break }
            span = d.stride * d.size
        }
        guard nested else { self.init(enumerating: group, on: cluster); return }
        let size = group.size
        let perDomain = max(1, GroupShape.members(below: max(1, cluster.domainDevices), dims[...]))
        let domains = max(1, size / perDomain)
        var level = 0
        if domains > 1 {
            let last = dims.reduce(0) { $0 + ($1.size - 1) * $1.stride }
            // Domains smaller than a node talk through the node's NICs: at least the first tier.
            level = max(1, cluster.fabricLevel(spanningNodes: 0, last / cluster.devicesPerNode))
        }
        let perLeaf = max(perDomain, GroupShape.members(below: GroupShape.leafDevices(cluster), dims[...]))
        self.init(size: size, perDomain: perDomain, domains: domains, level: level, perLeaf: min(size, perLeaf))
    }

    init(size: Int, perDomain: Int, domains: Int, level: Int, perLeaf: Int) {
        self.size = size; self.perDomain = perDomain; self.domains = domains; self.level = level; self.perLeaf = perLeaf
    }

    /// Devices under one first-tier switch subtree, never fewer than a scale-up domain.
    static func leafDevices(_ cluster: Cluster) -> Int {
        let nodes = cluster.nodesPerTierSubtree.first ?? cluster.nodes
        return max(max(1, cluster.domainDevices), nodes * cluster.devicesPerNode)
    }

    /// Members of the copy at base 0 whose number is below `limit`, for nested dims sorted by stride.
    static func members(below limit: Int, _ dims: ArraySlice<GroupDim>) -> Int {
        guard let top = dims.last else { return limit > 0 ? 1 : 0 }
        let inner = dims.dropLast()
        let full = min(top.size, (limit + top.stride - 1) / top.stride) // digits whose smallest member is below limit
        guard full > 0 else { return 0 }
        let innerCount = inner.reduce(1) { $0 * $1.size }
        // Every digit but the last one started has all its inner members below the limit.
        return (full - 1) * innerCount + members(below: limit - (full - 1) * top.stride, inner)
    }

    /// The reference computation: list the members of the copy at base 0.
    public init(enumerating group: CommGroup, on cluster: Cluster) {
        let members = group.members(base: 0)
        let domainSize = max(1, cluster.domainDevices)
        let d0 = members.first.map { $0 / domainSize } ?? 0
        let perDomain = max(1, members.filter { $0 / domainSize == d0 }.count)
        let domains = max(1, members.count / perDomain)
        var level = 0
        if domains > 1 {
            let dpn = cluster.devicesPerNode
            let nodes = members.map { $0 / dpn }
            level = max(1, cluster.fabricLevel(spanningNodes: nodes.min() ?? 0, nodes.max() ?? 0))
        }
        let leaf = GroupShape.leafDevices(cluster)
        let l0 = members.first.map { $0 / leaf } ?? 0
        let perLeaf = max(perDomain, members.filter { $0 / leaf == l0 }.count)
        self.init(size: members.count, perDomain: perDomain, domains: domains, level: level, perLeaf: min(members.count, perLeaf))
    }
}
