import Foundation

/// Plans with the same result share a row. ZeRO 1, 2 and 3 often give byte-identical step time
/// and cost when the optimizer sharding changes nothing but memory; listed one by one they would
/// fill the top N with one answer. A row lists every plan that gives its result as a variant.
extension SearchReport {
    /// One plan of a row: its cluster, its plan and its memory peak (which variants may differ in).
    public struct Variant: Sendable, Equatable {
        public let id: Int
        public let devices: Int
        public let topology: String
        /// The values of `SearchReport.planColumns`, as text.
        public let plan: [String]
        public let peakGiB: Double

        /// Devices, topology, then the plan columns: what a row shows of a plan.
        var cells: [String] { [String(devices), topology] + plan }
        static let labels = ["devices", "topology"] + SearchReport.planColumns.map { $0 == "microBatch" ? "mb" : $0 }

        var json: JSONValue {
            var pairs: [(String, JSONValue)] = [("devices", .number(Double(devices))), ("topology", .string(topology))]
            for (k, v) in zip(SearchReport.planColumns, plan) {
                pairs.append((k, Int(v).map { .number(Double($0)) } ?? .string(v)))
            }
            pairs.append(("peakGiBPerDevice", .number(Analysis.round(peakGiB))))
            return .object(pairs)
        }
    }

    /// The variants of each row; `rows[k]` is the full report of group k's first plan.
    static func variants(_ groups: [[Int]], rows: [Analysis], search: PlanSearch) throws(TrainSimError) -> [[Variant]] {
        var out: [[Variant]] = []
        for (k, group) in groups.enumerated() {
            var list: [Variant] = []
            for id in group {
                let e = try search.experiment(id)
                let peak = id == group[0] ? rows[k].step.memory.peakGiB : try search.memory(id).peakGiB
                list.append(Variant(id: id, devices: e.cluster.devices, topology: e.cluster.topologyReference,
                                    plan: planCells(e), peakGiB: peak))
            }
            out.append(list)
        }
        return out
    }

    /// The columns (indices into `Variant.cells`) in which a row's variants differ.
    static func differing(_ variants: [Variant]) -> [Int] {
        guard let first = variants.first else { return [] }
        return first.cells.indices.filter { c in variants.contains { $0.cells[c] != first.cells[c] } }
    }

    /// Variants in the order of their values in the one column they differ in (numbers by value).
    static func sorted(_ variants: [Variant], by column: Int) -> [Variant] {
        let numeric = variants.allSatisfy { Int($0.cells[column]) != nil }
        return variants.sorted {
            numeric ? (Int($0.cells[column])!, $0.id) < (Int($1.cells[column])!, $1.id) : ($0.cells[column], $0.id) < ($1.cells[column], $1.id)
        }
    }

    /// A row's plan cells and memory cell. Variants that differ in one column show its values as
    /// "1/2/3" there, with their memory peaks in the same order; variants that differ in more keep
    /// the first plan's cells, the memory as a range, and are spelled out under the table.
    func mergedCells(_ variants: [Variant], cells: [String], memory: Double) -> (plan: [String], memory: String) {
        let gib = { (x: Double) in Fmt.fixed(x, 1) }
        let columns = Self.differing(variants)
        guard variants.count > 1, !columns.isEmpty else { return (cells, gib(memory)) }
        let memories = variants.map { gib($0.peakGiB) }
        let sameMemory = Set(memories).count == 1
        let offset = variesCluster ? 0 : 2  // cells omit devices and topology when one cluster is searched
        guard columns.count == 1, columns[0] >= offset else {
            let lo = variants.map(\.peakGiB).min()!, hi = variants.map(\.peakGiB).max()!
            return (cells, sameMemory ? memories[0] : gib(lo) + "-" + gib(hi))
        }
        let c = columns[0], ordered = Self.sorted(variants, by: c)
        var plan = cells
        plan[c - offset] = ordered.map { $0.cells[c] }.joined(separator: "/")
        return (plan, sameMemory ? memories[0] : ordered.map { gib($0.peakGiB) }.joined(separator: "/"))
    }

    /// The variants in a few words: "zero 1/2/3", or "zero 1 mb 2; zero 3 mb 1" (empty for one plan).
    static func summary(_ variants: [Variant]) -> String {
        let columns = differing(variants)
        guard variants.count > 1, !columns.isEmpty else { return "" }
        if columns.count == 1 {
            let c = columns[0]
            return Variant.labels[c] + " " + sorted(variants, by: c).map { $0.cells[c] }.joined(separator: "/")
        }
        return variants.map { v in columns.map { Variant.labels[$0] + " " + v.cells[$0] }.joined(separator: " ") }.joined(separator: "; ")
    }

    /// Lines under a table: what "a/b" cells mean, and the variants of rows that differ in more than one column.
    func variantNotes(_ rows: [[Variant]], markdown: Bool) -> String {
        var lines: [String] = []
        if rows.contains(where: { $0.count > 1 && Self.differing($0).count == 1 }) {
            lines.append("x/y in a column: plans that differ only there give the same step time and cost (memory GiB in the same order)")
        }
        for (k, v) in rows.enumerated() where Self.differing(v).count > 1 {
            lines.append("#\(k + 1) has the same step time and cost with: "
                + v.map { p in Self.differing(v).map { Variant.labels[$0] + " " + p.cells[$0] }.joined(separator: " ")
                    + " (" + Fmt.fixed(p.peakGiB, 1) + " GiB)" }.joined(separator: "; "))
        }
        guard !lines.isEmpty else { return "" }
        return markdown ? "\n" + lines.map { "- " + $0 + "\n" }.joined() : lines.map { "  " + $0 + "\n" }.joined()
    }
}
