import Foundation

extension SweepOutput {
    /// With a `cluster.topology` axis: for each setting of the other axes, the topologies side by
    /// side on that workload (points that cannot work are left out; the table above says why).
    /// Points of one setting are consecutive (the topology axis varies faster than the ones
    /// before it), so only the current setting's points are held. The tables are made while the
    /// table's first pass reads the points, into an unlinked temporary file, and copied out after
    /// the main table (`finish`): memory stays flat, and no pass reads the points for them alone.
    final class TopologyTables {
        private let t: Int
        private let markdown: Bool
        private var group: (label: String, columns: [CompareTable.Column])?
        private let file: ScratchFile

        /// nil when the sweep has no topology axis.
        init?(plan: SweepPlan, markdown: Bool) throws {
            guard let t = plan.axes.firstIndex(where: { $0.path == "cluster.topology" }) else { return nil }
            self.t = t
            self.markdown = markdown
            file = try ScratchFile(holding: "the topology tables")
        }

        func add(_ p: SweepPoint) throws {
            guard let report = p.report else { return }
            var rest = p.assignment
            let topology = SweepPoint.text(rest.remove(at: t).value)
            let label = rest.map { a in (a.path.split(separator: ".").last.map(String.init) ?? a.path) + "=" + SweepPoint.text(a.value) }
                .joined(separator: ", ")
            if group?.label != label { try flush(); group = (label, []) }
            group!.columns.append(CompareTable.Column(label: topology, report: report))
        }

        private func flush() throws {
            guard let g = group, g.columns.count > 1 else { return }
            let title = "topologies side by side" + (g.label.isEmpty ? "" : " (\(g.label))")
            try file.write(markdown ? "\n**\(title)**\n\n" : "\n\(title)\n")
            try file.write(CompareTable(columns: g.columns).render(markdown ? .md : .text))
        }

        /// The last setting's table, then every table in order, handed to `emit` about 1 MB at a
        /// time, each piece whole lines (so no UTF-8 character is cut in two).
        func finish(to emit: (String) throws -> Void) throws {
            try flush()
            group = nil
            try file.rewind()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var carry: [UInt8] = []
            while true {
                let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count) }
                carry += buffer[0..<n]
                if let nl = carry.lastIndex(of: 0x0A) {
                    try emit(String(decoding: carry[...nl], as: UTF8.self))
                    carry.removeFirst(nl + 1)
                }
                if n < buffer.count { break }
            }
            if !carry.isEmpty { try emit(String(decoding: carry, as: UTF8.self)) }
        }
    }
}
