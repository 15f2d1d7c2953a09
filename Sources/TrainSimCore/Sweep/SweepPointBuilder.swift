import Foundation

/// Builds a sweep point's experiment from the base experiment, decoded once, by re-reading only the
/// sections its axes set: a point that changes `parallelism.tp` and `training.recompute` shares the
/// base's model, cluster (its topology, device and link files) and cost, and reads its parallelism
/// and training objects, a few keys each, with the very readers and checks a whole decode uses. Sections
/// are read in the decode's order and the base's others are valid, so a point's first error is the
/// one a whole decode of its document gives; its plan is then checked as a decode checks it.
/// A base that does not decode on its own, or an axis outside the known sections (`name`, a key
/// the decode would refuse), makes every point take the whole decode.
struct SweepPointBuilder {
    enum Section: Int, CaseIterable { case model, training, cluster, parallelism, cost, data, reliability }
    private let base: Experiment?
    private let touched: Set<Section>
    let file: String?, folder: URL?

    init(_ plan: SweepPlan) {
        file = plan.file; folder = plan.folder
        let names: [String: Section] = ["model": .model, "training": .training, "cluster": .cluster, "parallelism": .parallelism,
                                        "cost": .cost, "data": .data, "reliability": .reliability]
        var sections: Set<Section> = []
        var known = true
        for axis in plan.axes {
            guard let head = axis.path.split(separator: ".").first.map(String.init), let s = names[head] else { known = false; break }
            sections.insert(s)
        }
        touched = sections
        base = known ? (try? Experiment.decode(plan.base, file: plan.file, folder: plan.folder, validatingPlan: false)) : nil
    }

    /// The validated experiment of a point whose document is `doc`.
    func experiment(_ doc: JSONValue) throws(TrainSimError) -> Experiment {
        guard var e = base else { return try Experiment.decode(doc, file: file, folder: folder) }
        let r = try ObjectReader(doc, path: "", file: file)
        if touched.contains(.model) { e.model = try ModelSpec.read(r, folder: folder) }
        if touched.contains(.training) { e.training = try Experiment.readTraining(try r.requiredObject("training")) }
        if touched.contains(.cluster) { e.cluster = try Experiment.readCluster(try r.requiredObject("cluster"), folder: folder) }
        // The stack follows the training section and, where it names none, the device: read again
        // where either changed it (a point on a device with the base's default stack keeps the base's).
        let restack = touched.contains(.training)
            || (touched.contains(.cluster) && e.cluster.topology.device.defaultStack != base?.cluster.topology.device.defaultStack)
        if restack {
            e.training.framework = try Experiment.readFramework(e.training, folder: folder, file: file, device: e.cluster.topology.device)
        }
        if touched.contains(.model) || restack { e.model.takeImbalance(from: e.training.framework) }
        if touched.contains(.parallelism) { e.parallelism = try Experiment.readParallelism(try r.requiredObject("parallelism")) }
        if touched.contains(.cost) { e.cost = try Experiment.readCost(try r.object("cost")) }
        if touched.contains(.data) { e.data = r.raw("data") }
        if touched.contains(.reliability) { e.reliability = r.raw("reliability") }
        e.raw = doc
        try e.validatePlan()
        return e
    }
}
