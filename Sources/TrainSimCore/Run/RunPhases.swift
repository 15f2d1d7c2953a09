import Foundation

/// One phase of the run, simulated with its own step: a stage of the batch-size ramp, the base
/// phase (the experiment's `training` and `parallelism`), or a later phase from `data.phases`.
public struct RunPhase: Sendable {
    public var name: String
    /// "ramp", "base" or "phase".
    public var kind: String
    public var tokens: Double
    /// The phase's experiment (training.tokens = the phase's tokens) and its simulated step and run.
    public var analysis: Analysis
    public var experiment: Experiment { analysis.experiment }
    /// Training seconds without failures, stalls or checkpoints.
    public var idealSeconds: Double { analysis.run.trainingSeconds }
}

public enum RunPhases {
    /// Splits the run into phases and simulates each one with its own plan.
    ///
    /// `training.tokens` is the whole run; the phases in `data.phases` take their tokens from it and
    /// the base phase keeps the rest. A batch ramp covers the first `batchRamp.tokens` of the base phase
    /// with `stages` discrete batch sizes, each taken at the middle of its share of a linear ramp.
    public static func build(_ base: Analysis, data: DataSpec, network: CollectiveCostModel? = nil) throws(TrainSimError) -> [RunPhase] {
        let e = base.experiment
        let later = data.phases.reduce(0) { $0 + $1.tokens }
        let baseTokens = e.training.tokens - later
        if baseTokens < 0 || (baseTokens == 0 && data.batchRamp != nil) {
            throw TrainSimError(file: e.file, path: "data.phases",
                                "the phases take \(JSONWriter.number(later)) tokens; training.tokens (the whole run) is only \(JSONWriter.number(e.training.tokens))")
        }
        var out: [RunPhase] = []
        var rest = baseTokens
        if let ramp = data.batchRamp {
            if ramp.tokens >= baseTokens {
                throw TrainSimError(file: e.file, path: "data.batchRamp.tokens",
                                    "\(JSONWriter.number(ramp.tokens)) is not less than the base phase's \(JSONWriter.number(baseTokens)) tokens")
            }
            let p = e.parallelism
            let granule = p.dp * e.training.microBatchSequences * (p.schedule == .interleaved && p.vpp > 1 ? p.group : 1)
            let minimum = p.schedule == .dualpipe ? 2 * p.pp * p.dp * e.training.microBatchSequences : granule
            let to = Double(e.training.globalBatchSequences), from = Double(ramp.fromSequences)
            for i in 0..<ramp.stages {
                let target = from + (to - from) * (Double(i) + 0.5) / Double(ramp.stages)
                let batch = max(minimum, Int((target / Double(granule)).rounded()) * granule)
                var pe = e
                pe.training.globalBatchSequences = batch
                pe.training.tokens = ramp.tokens / Double(ramp.stages)
                do { try pe.validatePlan() } catch {
                    let key = error.path.map { $0 + ": " } ?? ""
                    throw TrainSimError(file: e.file, path: "data.batchRamp", "stage \(i + 1) (\(batch) sequences): \(key)\(error.message)")
                }
                out.append(try simulate(pe, name: "ramp-\(i + 1)", kind: "ramp", network: network, prefix: "data.batchRamp"))
            }
            rest -= ramp.tokens
        }
        if rest > 0 {
            if rest == e.training.tokens {
                out.append(RunPhase(name: "base", kind: "base", tokens: rest, analysis: base))
            } else {
                var pe = e
                pe.training.tokens = rest
                let a = Analysis(experiment: pe, step: base.step, run: RunEstimate(experiment: pe, step: base.step))
                out.append(RunPhase(name: "base", kind: "base", tokens: rest, analysis: a))
            }
        }
        for (i, ph) in data.phases.enumerated() {
            let prefix = "data.phases[\(i)]"
            let pe = try phaseExperiment(e, ph, prefix: prefix)
            out.append(try simulate(pe, name: ph.name, kind: "phase", network: network, prefix: prefix))
        }
        return out
    }

    static func simulate(_ pe: Experiment, name: String, kind: String, network: CollectiveCostModel?, prefix: String) throws(TrainSimError) -> RunPhase {
        let a: Analysis
        do { a = try Analysis.analyze(pe, network: network) } catch { throw remap(error, prefix: prefix) }
        return RunPhase(name: name, kind: kind, tokens: pe.training.tokens, analysis: a)
    }

    /// The base experiment changed as a phase asks: sequence, batch, recompute and plan.
    static func phaseExperiment(_ e: Experiment, _ ph: PhaseSpec, prefix: String) throws(TrainSimError) -> Experiment {
        var pe = e
        pe.training.tokens = ph.tokens
        let seq = ph.sequenceLength ?? e.training.sequenceLength
        pe.training.sequenceLength = seq
        if let m = ph.microBatchSequences { pe.training.microBatchSequences = m }
        if let rc = ph.recompute { pe.training.recompute = rc }
        if let n = ph.recomputeLayers { pe.training.recomputeLayers = n }
        if let g = ph.globalBatchSequences {
            pe.training.globalBatchSequences = g
        } else {
            let tokens = ph.globalBatchTokens ?? e.training.globalBatchTokens
            let s = tokens / Double(seq)
            guard s >= 1, s == s.rounded() else {
                let what = ph.globalBatchTokens == nil ? "the base batch of \(JSONWriter.number(tokens)) tokens" : JSONWriter.number(tokens)
                throw TrainSimError(file: e.file, path: prefix + (ph.globalBatchTokens == nil ? "" : ".globalBatchTokens"),
                                    "\(what) is not a whole number of \(seq)-token sequences; give globalBatchSequences")
            }
            pe.training.globalBatchSequences = Int(s)
        }
        if Double(pe.training.globalBatchSequences) * Double(seq) > ph.tokens * 1.0000001 {
            throw TrainSimError(file: e.file, path: prefix + ".tokens",
                                "\(JSONWriter.number(ph.tokens)) tokens are fewer than one global batch (\(pe.training.globalBatchSequences) x \(seq))")
        }
        if let over = ph.parallelism {
            var merged = baseParallelismJSON(e)
            guard case let .object(pairs) = over else { return pe }
            let givesDP = pairs.contains { $0.0 == "dp" }
            if !givesDP { merged = merged.removing("dp") }
            for (k, v) in pairs { merged = merged.setting([k], to: v) }
            let r = try ObjectReader(merged, path: prefix + ".parallelism", file: e.file)
            pe.parallelism = try Experiment.readParallelism(r)
        }
        do { try pe.validatePlan() } catch { throw remap(error, prefix: prefix) }
        return pe
    }

    /// The base plan as the file gave it (so defaults that depend on other keys still apply), or as decoded.
    static func baseParallelismJSON(_ e: Experiment) -> JSONValue {
        if let raw = e.raw["parallelism"], case .object = raw { return raw }
        let p = e.parallelism
        var pairs: [(String, JSONValue)] = [
            ("tp", .number(Double(p.tp))), ("pp", .number(Double(p.pp))), ("vpp", .number(Double(p.vpp))),
            ("ep", .number(Double(p.ep))), ("cp", .number(Double(p.cp))), ("sequenceParallel", .bool(p.sequenceParallel)),
            ("zero", .number(Double(p.zero))), ("schedule", .string(p.schedule.rawValue)),
            ("order", .string(p.order.joined(separator: "-"))),
        ]
        if let s = p.layerSplit { pairs.append(("layerSplit", .array(s.map { .number(Double($0)) }))) }
        return .object(pairs)
    }

    /// Moves a plan error into the phase's key path: `training.x` -> `prefix.x`, `parallelism.x` -> `prefix.parallelism.x`.
    static func remap(_ error: TrainSimError, prefix: String) -> TrainSimError {
        var e = error
        let p = e.path ?? ""
        if p.hasPrefix("training.") {
            e.path = prefix + "." + p.dropFirst("training.".count)
        } else if p.hasPrefix("parallelism") {
            e.path = prefix + "." + p
        } else if p.hasPrefix(prefix) {
            e.path = p
        } else {
            e.path = prefix
            if !p.isEmpty { e.message = p + ": " + e.message }
        }
        return e
    }
}
