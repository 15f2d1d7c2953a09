import Foundation

/// The answer of a plan search: the best N results and the time-cost Pareto front, each
/// simulated again in full for its report. Plans with byte-identical step time and cost are one
/// row that lists them as variants (see SearchReport+Variants.swift). It depends only on which
/// plans won, never on how many were pruned or on which rank, so it is the same for any number
/// of ranks.
public struct SearchReport: Sendable {
    public let search: PlanSearch
    public let best: [Analysis]
    public let front: [Analysis]
    /// The plan each row reports in full: the lowest id of its variants.
    public let bestIDs: [Int]
    public let frontIDs: [Int]
    /// Each row's variants: every plan with the row's step time and cost, by id (the first is the row's own).
    public let bestVariants: [[Variant]]
    public let frontVariants: [[Variant]]
    /// With several clusters (topologies or sizes in `search.space`): the best plan on each
    /// cluster that has one that fits, in the order of the clusters, and its variants.
    public let clusterBest: [Analysis]
    public let clusterBestVariants: [[Variant]]

    public init(search: PlanSearch, state: SearchState) throws(TrainSimError) {
        precondition(state.isComplete, "a search report of a search still running")
        self.search = search
        let bestGroups = state.best.groups.map { $0.map(\.id) }, frontGroups = state.paretoGroups.map { $0.map(\.id) }
        bestIDs = bestGroups.map { $0[0] }
        frontIDs = frontGroups.map { $0[0] }
        var b: [Analysis] = [], f: [Analysis] = []
        for id in bestIDs { b.append(try Analysis.analyze(try search.experiment(id))) }
        for id in frontIDs { f.append(try Analysis.analyze(try search.experiment(id))) }
        best = b
        front = f
        bestVariants = try Self.variants(bestGroups, rows: b, search: search)
        frontVariants = try Self.variants(frontGroups, rows: f, search: search)
        let clusterGroups = state.perCluster.compactMap { $0.groups.first.map { $0.map(\.id) } }
        var c: [Analysis] = []
        for g in clusterGroups { c.append(try Analysis.analyze(try search.experiment(g[0]))) }
        clusterBest = c
        clusterBestVariants = try Self.variants(clusterGroups, rows: c, search: search)
    }

    var variesCluster: Bool { search.clusters.count > 1 }

    static let planColumns = ["tp", "pp", "vpp", "dp", "ep", "cp", "microBatch", "zero", "recompute", "schedule"]

    func planCells(_ a: Analysis) -> [String] { Self.planCells(a.experiment) }

    static func planCells(_ e: Experiment) -> [String] {
        let p = e.parallelism, t = e.training
        var cells = [p.tp, p.pp, p.vpp, p.dp, p.ep, p.cp, t.microBatchSequences, p.zero].map(String.init)
            + [t.recompute.rawValue + (t.recomputeLimit.map { " \($0)" } ?? ""), p.schedule.rawValue]
        if p.cp > 1, p.cpAlgorithm != .ring { cells[5] += " " + p.cpAlgorithm.rawValue }
        if e.model.moe != nil, p.ep > 1, p.tp > 1 { cells[4] += " etp\(p.etp)" }
        return cells
    }

    func clusterCells(_ a: Analysis) -> [String] {
        variesCluster ? [String(a.devices), a.experiment.cluster.topologyReference] : []
    }

    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: return JSONWriter.write(json()) + "\n"
        case .csv: return csv()
        case .text, .md: return table(markdown: format == .md)
        }
    }

    func table(markdown: Bool) -> String {
        let e = search.clusters.first?.base
        var out = ""
        let title = "search: \(e?.model.name ?? "model") on "
            + (variesCluster ? "\(search.clusters.count) clusters" : "\(e?.cluster.devices ?? 0) x \(e?.cluster.topology.device.name ?? "") (\(e?.cluster.topologyReference ?? ""))")
            + ", \(search.candidates.count) candidate plans, best by \(search.objective.rawValue)"
        out += markdown ? "**\(title)**\n" : title + "\n"
        for u in search.unbuildable { out += (markdown ? "- " : "  ") + "skipped: " + u + "\n" }
        let header = ["#"] + (variesCluster ? ["devices", "topology"] : []) + Self.planColumns.map { $0 == "microBatch" ? "mb" : $0 }
            + ["step", "MFU", "days", "cost", "memory GiB"]
        func rows(_ list: [Analysis], _ variants: [[Variant]]) -> [[String]] {
            list.enumerated().map { k, a in
                let cells = mergedCells(variants[k], cells: clusterCells(a) + planCells(a), memory: a.step.memory.peakGiB)
                return [String(k + 1)] + cells.plan
                    + [Fmt.secs(a.step.stepSeconds), Fmt.pct(a.mfu), Fmt.fixed(a.run.trainingDays, 1),
                       Fmt.money(a.run.totalCost, a.run.currency), cells.memory]
            }
        }
        let right = Set(header.indices.filter { !["topology", "recompute", "schedule"].contains(header[$0]) })
        if best.isEmpty {
            out += "\nno plan fits in memory\n"
            return out
        }
        out += (markdown ? "\n**best \(best.count) by \(search.objective.rawValue)**\n\n" : "\nbest \(best.count) by \(search.objective.rawValue)\n")
        out += TextTable.render(header: header, rows: rows(best, bestVariants), markdown: markdown, rightAligned: right)
        out += variantNotes(bestVariants, markdown: markdown)
        out += (markdown ? "\n**time-cost Pareto front**\n\n" : "\ntime-cost Pareto front\n")
        out += TextTable.render(header: header, rows: rows(front, frontVariants), markdown: markdown, rightAligned: right)
        out += variantNotes(frontVariants, markdown: markdown)
        if variesCluster {
            out += (markdown ? "\n**best plan on each cluster**\n\n" : "\nbest plan on each cluster\n")
            out += TextTable.render(header: header, rows: rows(clusterBest, clusterBestVariants), markdown: markdown, rightAligned: right)
            out += variantNotes(clusterBestVariants, markdown: markdown)
        }
        // How far such figures fell from held-out published runs (trainsim validate), per device
        // family, stack and model kind of the plans shown: the step times above carry that error.
        var seen = Set<String>()
        for a in best + clusterBest {
            guard let acc = a.accuracy else { break }
            let line = acc.summary(a.experiment)
            if seen.insert(line).inserted {
                out += "\nvalidated accuracy (held-out published runs, |error|): " + line + "\n"
            }
        }
        // A ranking rests on ratios between plans: how well trainsim gives them on published pairs,
        // across device families where the plans shown run on clusters of different devices.
        let shown = best + clusterBest
        if let acc = shown.first?.accuracy {
            if let line = acc.pairLine(families: Set(shown.map { $0.experiment.validationGroups.family })) { out += line + "\n" }
        }
        return out
    }

    func planJSON(_ a: Analysis, rank: Int, variants: [Variant]) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("rank", .number(Double(rank)))]
        pairs.append(contentsOf: a.reportJSON().removing("collectives").objectPairs)
        pairs.append(("variants", .array(variants.map(\.json))))
        return .object(pairs)
    }

    public func json() -> JSONValue {
        let e = search.clusters.first?.base
        var pairs: [(String, JSONValue)] = [
            ("name", .string(e?.name ?? "")),
            ("objective", .string(search.objective.rawValue)),
            ("candidates", .number(Double(search.candidates.count))),
            ("skipped", .array(search.unbuildable.map { .string($0) })),
            ("best", .array(best.enumerated().map { planJSON($1, rank: $0 + 1, variants: bestVariants[$0]) })),
            ("pareto", .array(front.enumerated().map { planJSON($1, rank: $0 + 1, variants: frontVariants[$0]) })),
        ]
        if variesCluster {
            pairs.append(("bestPerCluster", .array(clusterBest.enumerated().map { planJSON($1, rank: $0 + 1, variants: clusterBestVariants[$0]) })))
        }
        return .object(pairs)
    }

    func csv() -> String {
        let header = ["set", "rank", "devices", "topology"] + Self.planColumns
            + ["stepTimeSeconds", "mfu", "trainingDays", "cost.currency", "cost.total", "memory.peakGiBPerDevice", "variants"]
        var out = header.joined(separator: ",") + "\n"
        var sets = [("best", best, bestVariants), ("pareto", front, frontVariants)]
        if variesCluster { sets.append(("cluster-best", clusterBest, clusterBestVariants)) }
        for (set, list, variants) in sets {
            for (k, a) in list.enumerated() {
                let row = [set, String(k + 1), String(a.devices), a.experiment.cluster.topologyReference] + planCells(a)
                    + [JSONWriter.number(Analysis.round(a.step.stepSeconds)), JSONWriter.number(Analysis.round(a.mfu)),
                       JSONWriter.number(Analysis.round(a.run.trainingDays)), a.run.currency,
                       JSONWriter.number(Analysis.round(a.run.totalCost)), JSONWriter.number(Analysis.round(a.step.memory.peakGiB)),
                       Self.summary(variants[k])]
                out += row.map(csvField).joined(separator: ",") + "\n"
            }
        }
        return out
    }
}

extension JSONValue {
    /// The pairs of an object (empty for other values).
    var objectPairs: [(String, JSONValue)] {
        if case let .object(p) = self { return p }
        return []
    }
}
