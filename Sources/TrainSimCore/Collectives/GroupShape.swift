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

    public init(_ group: CommGroup, on cluster: Cluster) {
        let members = group.members(base: 0)
        size = members.count
        let domainSize = max(1, cluster.domainDevices)
        let d0 = members.first.map { $0 / domainSize } ?? 0
        perDomain = max(1, members.filter { $0 / domainSize == d0 }.count)
        domains = max(1, size / perDomain)
        if domains == 1 {
            level = 0
        } else {
            let dpn = cluster.devicesPerNode
            let nodes = members.map { $0 / dpn }
            level = cluster.fabricLevel(spanningNodes: nodes.min() ?? 0, nodes.max() ?? 0)
        }
    }
}
