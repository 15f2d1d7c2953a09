import Foundation

/// Evaluates a sweep's points fast, with the same results as ``SweepPlan/evaluate(_:)``: every
/// data file (topology, device, stack, link profile, model file) is read and decoded once per
/// process and shared by every point that names it (``DecodedFiles``), and each distinct cluster
/// (the settings of the `cluster.*` axes: design, link profile, device count, network mode) is
/// built once, with its network backend, and reused. A point is the base experiment, decoded once,
/// with the sections its axes set read again (``SweepPointBuilder``) and its plan checked as a
/// decode checks it, so its errors and invalid or out-of-memory reasons are today's. Consecutive
/// points that differ only in values the step does not read (tokens, prices, data, reliability)
/// share one simulated step.
/// Not thread-safe: one evaluator per thread.
public final class SweepEvaluator {
    public let plan: SweepPlan
    private let files = DecodedFiles()
    /// Steps simulated already, by their graph: points whose step is one seen before reuse it.
    private let timelines = TimelineCache()
    /// Points whose step was read from the cache of steps simulated before.
    public var timelineHits: Int { timelines.hits }
    /// Steps this evaluator simulated (not read from the cache), and their graphs' operations in all.
    public var timelineSteps: Int { timelines.simulated }
    public var timelineOperations: Int { timelines.operations }
    /// Points from the base experiment decoded once, re-reading only the sections the axes set.
    private var builder: SweepPointBuilder?
    /// Axes under `cluster` (they decide the cluster), by position in the plan.
    private let clusterAxes: [Int]
    private var clusters: [Int: Result<(cluster: Cluster, network: CollectiveCostModel), TrainSimError>] = [:]
    /// Axes that decide the step (all but `training.tokens`, `cost.*`, `data.*` and `reliability.*`,
    /// which only the whole run reads), by position in the plan.
    private let stepAxes: [Int]
    /// The last point's step and the settings of its step axes: a point that differs from the one
    /// before only in run-level values (the fastest axis is often one) reuses it. One entry, so
    /// memory does not grow with the sweep.
    private var lastStep: (key: [Int], step: StepResult)?

    /// Points whose plan does not fit in memory are not simulated (`--skip-out-of-memory`): they
    /// keep their status, reason, memory and plan (``SweepPoint/init(index:assignment:notSimulated:memory:network:)``).
    public var skipOutOfMemory = false

    public init(_ plan: SweepPlan) {
        self.plan = plan
        clusterAxes = plan.axes.indices.filter { plan.axes[$0].path == "cluster" || plan.axes[$0].path.hasPrefix("cluster.") }
        stepAxes = plan.axes.indices.filter { k in
            let p = plan.axes[k].path
            return p != "training.tokens" && !["cost", "data", "reliability"].contains(where: { p == $0 || p.hasPrefix($0 + ".") })
        }
    }

    /// Simulates point `index`, as ``SweepPlan/evaluate(_:)`` does.
    public func evaluate(_ index: Int) -> SweepPoint {
        DecodedFiles.using(files) { TimelineCache.using(timelines) {
            let coordinates = plan.coordinates(index)
            let assignment = zip(plan.axes, coordinates).map { ($0.path, $0.values[$1]) }
            do throws(TrainSimError) {
                if builder == nil { builder = SweepPointBuilder(plan) }
                let e = try builder!.experiment(plan.document(at: index))
                let built = try cluster(for: e, coordinates: coordinates)
                let engine = Engine(e, cluster: built.cluster, network: built.network)
                var known: MemoryBreakdown?
                if skipOutOfMemory {
                    let m = engine.memory()
                    guard m.fits else {
                        return SweepPoint(index: index, assignment: assignment, notSimulated: e, memory: m, network: built.network.name)
                    }
                    known = m
                }
                let key = stepAxes.map { coordinates[$0] }
                let a: Analysis
                if let last = lastStep, last.key == key {
                    a = Analysis(experiment: e, step: last.step, run: RunEstimate(experiment: e, step: last.step))
                } else {
                    let step = engine.step(memory: known)
                    a = Analysis(experiment: e, step: step, run: RunEstimate(experiment: e, step: step))
                    lastStep = (key, a.step)
                }
                let whole = try? WholeRun.wholeRun(for: a)
                return SweepPoint(index: index, assignment: assignment, analysis: a, whole: whole)
            } catch {
                return SweepPoint(index: index, assignment: assignment, status: .invalid, reason: SweepPoint.reason(error), report: nil)
            }
        } }
    }

    /// The cluster and network of a point, built on first use for its `cluster.*` settings.
    private func cluster(for e: Experiment, coordinates: [Int]) throws(TrainSimError) -> (cluster: Cluster, network: CollectiveCostModel) {
        var key = 0
        for k in clusterAxes { key = key * plan.axes[k].values.count + coordinates[k] }
        if let known = clusters[key] { return try known.get() }
        let result: Result<(cluster: Cluster, network: CollectiveCostModel), TrainSimError>
        do throws(TrainSimError) {
            let c: Cluster
            do { c = try Cluster(spec: e.cluster.topology, devices: e.cluster.devices) } catch { throw error.inFile(e.file ?? "experiment") }
            result = .success((c, NetworkBackends.make(e.cluster.network, cluster: c)))
        } catch {
            result = .failure(error)
        }
        clusters[key] = result
        return try result.get()
    }
}
