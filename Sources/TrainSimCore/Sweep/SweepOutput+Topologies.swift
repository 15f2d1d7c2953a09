import Foundation

extension SweepOutput {
    /// With a `cluster.topology` axis of several values that varies fastest (every axis after it
    /// has one value, `comparesTopologies`): for each setting of the other axes, the topologies
    /// side by side on that workload (points that cannot work are left out; the table above says
    /// why). Points of one setting are consecutive, so only the current setting's points are
    /// held. The tables are made while the table's first pass reads the points, into an unlinked
    /// temporary file, and copied out after the main table (`finish`): memory stays flat, and no
    /// pass reads the points for them alone.
    final class TopologyTables {
        private let t: Int
        private let markdown: Bool
        /// The current setting's label (nil before the first point) and its columns.
        private var label: String?
        private var columns: [CompareTable.Column] = []
        /// The short name of each axis ("tp" for parallelism.tp), made once for every point's label.
        private let names: [String]
        private let file: ScratchFile

        /// nil when the sweep compares no topologies (`comparesTopologies`).
        init?(plan: SweepPlan, markdown: Bool) throws {
            guard SweepOutput.comparesTopologies(plan), let t = plan.axes.firstIndex(where: { $0.path == SweepOutput.topologyAxis }) else { return nil }
            self.t = t
            self.markdown = markdown
            names = plan.axes.map { $0.shortName + "=" }
            file = try ScratchFile(holding: "the topology tables")
        }

        /// A point, by its table entry: its axis values are its row's cells after the index.
        func add(_ e: TableEntry) throws {
            guard let report = e.report else { return }
            var setting = ""
            var topology = ""
            for k in names.indices {
                let value = k + 1 < e.cells.count ? e.cells[k + 1] : ""
                if k == t { topology = value; continue }
                if !setting.isEmpty { setting += ", " }
                setting += names[k] + value
            }
            if label != setting { try flush(); label = setting; columns.removeAll(keepingCapacity: true) }
            columns.append(CompareTable.Column(label: topology, report: report))
        }

        private func flush() throws {
            guard let label, columns.count > 1 else { return }
            let title = "topologies side by side" + (label.isEmpty ? "" : " (\(label))")
            try file.write(markdown ? "\n**\(title)**\n\n" : "\n\(title)\n")
            try file.write(CompareTable(columns: columns).render(markdown ? .md : .text))
        }

        /// The last setting's table, then every table in order, handed to `emit` about 1 MB at a
        /// time, each piece whole lines (so no UTF-8 character is cut in two).
        func finish(to emit: (String) throws -> Void) throws {
            try flush()
            label = nil
            columns = []
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

    /// Whether a sweep's tables are followed by topologies side by side: its `cluster.topology`
    /// axis has several values and every axis after it has one, so that each setting of the other
    /// axes is a run of consecutive points, one per topology. (With an axis of several values after
    /// it, a setting's points are not consecutive: no table is made, and the points' lines for
    /// the tables carry no report.)
    public static func comparesTopologies(_ plan: SweepPlan) -> Bool {
        guard let t = plan.axes.firstIndex(where: { $0.path == topologyAxis }) else { return false }
        return plan.axes[t].values.count > 1 && plan.axes[(t + 1)...].allSatisfy { $0.values.count == 1 }
    }
}
