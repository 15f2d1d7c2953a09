import Foundation

/// One step's timeline as Chrome trace events (opens in Perfetto or chrome://tracing): a process
/// per pipeline stage, named with the devices it stands for, a track per stream (compute, and
/// each communication stream), every operation named with its layer, micro-batch, virtual stage,
/// and for collectives the kind, group size and bytes. Every micro-batch is simulated (no
/// steady-state extension), and the trace's span is the step's time.
public struct StepTrace: Sendable {
    public let experiment: Experiment
    public let network: CollectiveCostModel?

    public init(experiment: Experiment, network: CollectiveCostModel? = nil) {
        self.experiment = experiment
        self.network = network
    }

    /// The simulated step: its graph and each operation's start and end, seconds.
    func simulate() throws(TrainSimError) -> Engine.SimulatedStep {
        let engine = try Engine(experiment, network: network)
        return engine.simulate(microBatches: experiment.microBatches, optimizer: engine.optimizerSecondsPerStage())
    }

    /// The step time of the full simulation (the trace's span).
    public func spanSeconds() throws(TrainSimError) -> Double { try simulate().summary.stepSeconds }

    public func traceJSON() throws(TrainSimError) -> JSONValue {
        let s = try simulate()
        let g = s.graph
        let par = experiment.parallelism
        let place = Placement(par)
        let devices = experiment.cluster.devices
        var items: [JSONValue] = []
        func meta(_ name: String, pid: Int, tid: Int?, _ value: String) -> JSONValue {
            var o: [(String, JSONValue)] = [("name", .string(name)), ("ph", .string("M")), ("pid", .number(Double(pid)))]
            if let tid { o.append(("tid", .number(Double(tid)))) }
            o.append(("args", .object([("name", .string(value))])))
            return .object(o)
        }
        let replica = Int32(TaskGraph.Stream.dpReplica.rawValue), per = TaskGraph.streamsPerStage
        let usesReplicaStream = g.stream.contains { $0 % per == replica }
        for p in 0..<par.pp {
            let first = p * place.pp.stride
            let name = "stage \(p): stands for \(devices / par.pp) devices (pipeline rank \(p) of every replica; device \(first) first)"
            items.append(meta("process_name", pid: p, tid: nil, name))
            items.append(meta("process_sort_index", pid: p, tid: nil, "\(p)"))
            // The replica stream is named only where hybrid sharding uses it.
            for st in TaskGraph.Stream.allCases where st != .dpReplica || usesReplicaStream {
                items.append(meta("thread_name", pid: p, tid: Int(st.rawValue), st.name))
            }
        }
        for i in 0..<g.count {
            let dur = s.end[i] - s.start[i]
            guard dur > 0 || g.category[i] == .optimizer else { continue }
            var args: [(String, JSONValue)] = []
            let layer = Int(g.layer[i])
            if layer >= 0 {
                args.append(("layer", layer < experiment.model.layers ? .number(Double(layer)) : .string(layer == experiment.model.layers ? "output" : "embedding")))
            }
            if g.microBatch[i] >= 0 { args.append(("microBatch", .number(Double(g.microBatch[i])))) }
            if g.virtualStage[i] >= 0 { args.append(("virtualStage", .number(Double(g.virtualStage[i])))) }
            if g.request[i] >= 0 {
                let r = g.requests[Int(g.request[i])]
                args.append(("collective", .string(r.kind.rawValue)))
                args.append(("groupSize", .number(Double(r.group.size))))
                args.append(("bytes", .number(r.bytes.rounded())))
                args.append(("secondsAlone", .number(Analysis.round(g.work[i]))))
            }
            var name = g.names[Int(g.name[i])]
            let k = Int(g.layers[i])
            if layer >= 0 && layer < experiment.model.layers { name += k > 1 ? " L\(layer)-\(layer + k - 1)" : " L\(layer)" }
            if k > 1 { args.append(("layers", .number(Double(k)))) }
            if g.microBatch[i] >= 0 { name += " mb\(g.microBatch[i])" }
            let slot = Int(g.stream[i])
            items.append(.object([
                ("name", .string(name)), ("cat", .string(g.category[i].label)), ("ph", .string("X")),
                ("pid", .number(Double(g.stage[i]))), ("tid", .number(Double(slot % Int(TaskGraph.streamsPerStage)))),
                ("ts", .number(s.start[i] * 1e6)), ("dur", .number(dur * 1e6)), ("args", .object(args)),
            ]))
        }
        return .object([("traceEvents", .array(items)), ("displayTimeUnit", .string("ms")),
                        ("otherData", .object([("stepTimeSeconds", .number(s.summary.stepSeconds))]))])
    }
}
