/// Picks the collective-cost backend an experiment asks for: closed forms, or the flow-level
/// contention kernel on the topology graph.
public enum NetworkBackends {
    public static func make(_ mode: NetworkMode, cluster: Cluster) -> CollectiveCostModel {
        switch mode {
        case .analytical: return AnalyticalNetwork(cluster: cluster)
        case .flow:
            var options = FlowNetwork.Options()
            options.routing = cluster.spec.fabric.routing
            return FlowNetwork(cluster: cluster, options: options)
        }
    }
}
