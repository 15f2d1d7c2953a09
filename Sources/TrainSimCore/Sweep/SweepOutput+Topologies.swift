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
        /// The current setting's label (nil before the first point) and its columns.
        private var label: String?
        private var columns: [CompareTable.Column] = []
        /// The short name of each axis ("tp" for parallelism.tp), made once for every point's label.
        private let names: [(path: String, name: String)]
        private let file: ScratchFile

        /// nil when the sweep has no topology axis.
        init?(plan: SweepPlan, markdown: Bool) throws {
            guard let t = plan.axes.firstIndex(where: { $0.path == "cluster.topology" }) else { return nil }
            self.t = t
            self.markdown = markdown
            names = plan.axes.map { a in (a.path, TopologyTables.name(a.path)) }
            file = try ScratchFile(holding: "the topology tables")
        }

        func add(_ p: SweepPoint) throws {
            guard let report = p.report else { return }
            var setting = ""
            var topology = ""
            for (k, a) in p.assignment.enumerated() {
                if k == t { topology = SweepPoint.text(a.value); continue }
                if !setting.isEmpty { setting += ", " }
                setting += (k < names.count && names[k].path == a.path ? names[k].name : TopologyTables.name(a.path)) + SweepPoint.text(a.value)
            }
            if label != setting { try flush(); label = setting; columns.removeAll(keepingCapacity: true) }
            columns.append(CompareTable.Column(label: topology, report: report))
        }

        /// "tp=" for parallelism.tp: the last part of an axis's path, as labels show it.
        private static func name(_ path: String) -> String {
            (path.split(separator: ".").last.map(String.init) ?? path) + "="
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
}
