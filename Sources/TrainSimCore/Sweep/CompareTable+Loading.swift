import Foundation

extension CompareTable {
    /// Columns from files: reports (`trainsim run --format json`), experiments (simulated here;
    /// one with a `sweep` gives a column per working or out-of-memory point), or sweep
    /// results as JSON lines. Points of a sweep that cannot work are returned as notes.
    public static func load(paths: [String]) throws(TrainSimError) -> (table: CompareTable, notes: [String]) {
        var columns: [Column] = [], notes: [String] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            let base = url.deletingPathExtension().lastPathComponent
            let json: JSONValue
            do {
                json = try DataLocator.readJSON(url, displayName: path)
            } catch {
                // Not one JSON document: perhaps sweep results, one JSON line per point.
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw error }
                var points: [SweepPoint] = []
                for line in text.split(separator: "\n") {
                    guard let p = try? SweepPoint(line: String(line)) else { throw error }
                    points.append(p)
                }
                add(points, name: base, into: &columns, notes: &notes, file: path)
                continue
            }
            if json["stepTimeSeconds"] != nil {
                let name = json["name"].map(SweepPoint.text) ?? base
                columns.append(Column(label: name, report: json.removing("collectives")))
            } else if json["sweep"] != nil {
                let plan = try SweepPlan(document: json, file: path, folder: url.deletingLastPathComponent())
                add((0..<plan.count).map(plan.evaluate), name: base, into: &columns, notes: &notes, file: path)
            } else {
                let e = try Experiment.decode(json, file: path, folder: url.deletingLastPathComponent())
                columns.append(Column(label: e.name, report: try Analysis.analyze(e).reportJSON().removing("collectives")))
            }
        }
        if columns.isEmpty { throw TrainSimError(.cannotRun, file: paths.first, "nothing to compare: no run works") }
        return (CompareTable(columns: columns), notes)
    }

    static func add(_ points: [SweepPoint], name: String, into columns: inout [Column], notes: inout [String], file: String) {
        for p in points {
            guard let r = p.report else {
                notes.append("\(file): point #\(p.index) (\(p.label)) left out: \(p.reason ?? p.status.rawValue)")
                continue
            }
            columns.append(Column(label: p.label.isEmpty ? name : p.label, report: r))
        }
    }
}
