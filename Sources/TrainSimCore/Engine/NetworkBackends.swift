/// Picks the collective-cost backend an experiment asks for.
public enum NetworkBackends {
    /// Set by the flow kernel module at start-up; nil until then.
    nonisolated(unsafe) public static var flowFactory: ((Cluster) -> CollectiveCostModel)?

    public static func make(_ mode: NetworkMode, cluster: Cluster) -> CollectiveCostModel {
        switch mode {
        case .analytical: return AnalyticalNetwork(cluster: cluster)
        case .flow: return flowFactory?(cluster) ?? AnalyticalNetwork(cluster: cluster)
        }
    }
}
