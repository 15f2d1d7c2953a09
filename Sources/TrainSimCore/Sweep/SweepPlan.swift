import Foundation

/// A sweep: an experiment document and the key paths it varies. Point `i` is one element of
/// the cartesian product of the axes, in file order with the last axis fastest (as nested
/// loops written in the order of the `sweep` object), so point numbers are stable and the
/// same on every MPI rank.
public struct SweepPlan: Sendable {
    public struct Axis: Sendable, Equatable {
        public var path: String
        public var values: [JSONValue]
        /// The last component of the path ("tp" for "parallelism.tp"), for table headers.
        public var shortName: String { path.split(separator: ".").last.map(String.init) ?? path }
    }

    /// The experiment document without its `sweep` and `search` objects.
    public let base: JSONValue
    public let axes: [Axis]
    /// Each axis's key path, split once.
    private let axisPaths: [[String]]
    public let file: String?
    public let folder: URL?

    /// Reads the `sweep` object of a document. The rest of the document is checked per point,
    /// so a base plan that only works for some values of the axes is fine.
    public init(document: JSONValue, file: String?, folder: URL?) throws(TrainSimError) {
        let r = try ObjectReader(document, path: "", file: file)
        axes = try Experiment.readSweep(r).map { Axis(path: $0.path, values: $0.values) }
        axisPaths = axes.map { $0.path.split(separator: ".").map(String.init) }
        base = document.removing("sweep").removing("search")
        self.file = file
        self.folder = folder
    }

    public init(_ e: Experiment) {
        axes = e.sweep.map { Axis(path: $0.path, values: $0.values) }
        axisPaths = axes.map { $0.path.split(separator: ".").map(String.init) }
        base = e.raw.removing("sweep").removing("search")
        file = e.file
        folder = e.folder
    }

    /// Reads a sweep file.
    public static func load(path: String) throws(TrainSimError) -> SweepPlan {
        let url = DataLocator.fileURL(path)
        let json = try DataLocator.readJSON(url, displayName: path)
        return try SweepPlan(document: json, file: path, folder: url.deletingLastPathComponent())
    }

    /// The most points a sweep may have (README, "Sweeps"). Results stream to the output in
    /// point order and no rank keeps a point after it is written, so memory does not grow with
    /// the count (JSON lines); the limit stops a runaway input (64 lists of two values), and a
    /// million points take about a minute per core.
    public static let maxPoints = 1_000_000

    /// Number of points (1 when there are no axes: the experiment itself); at most ``maxPoints``,
    /// as reading the sweep checks.
    public var count: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// Points in the smallest block of the innermost axes that holds at least `n` (1 where the
    /// next axis would take it past `limit`). Points of one block differ only in those axes, and
    /// many share a simulated step (ZeRO 1 and 2 alike, run-level values): ranks under `mpirun`
    /// take whole blocks, so each rank's cache of steps finds them (`WorkQueue`'s `block`).
    public func innerBlock(atLeast n: Int, limit: Int = 1024) -> Int {
        var b = 1
        for a in axes.reversed() where b < n {
            guard b * a.values.count <= limit else { break }
            b *= a.values.count
        }
        return b
    }

    /// The value index on each axis of point `index`.
    public func coordinates(_ index: Int) -> [Int] {
        var rest = index
        var c = [Int](repeating: 0, count: axes.count)
        for k in axes.indices.reversed() {
            let n = axes[k].values.count
            c[k] = rest % n
            rest /= n
        }
        return c
    }

    /// The axis values of point `index`, in axis order.
    public func assignment(_ index: Int) -> [(path: String, value: JSONValue)] {
        zip(axes, coordinates(index)).map { ($0.path, $0.values[$1]) }
    }

    /// The experiment document of point `index`.
    public func document(at index: Int) -> JSONValue {
        var doc = base
        for (k, c) in coordinates(index).enumerated() { doc.set(axisPaths[k][...], to: axes[k].values[c]) }
        return doc
    }

    /// The decoded, validated experiment of point `index`.
    public func experiment(at index: Int) throws(TrainSimError) -> Experiment {
        try Experiment.decode(document(at: index), file: file, folder: folder)
    }

    /// Simulates point `index`. A point whose plan does not divide, or whose input is wrong,
    /// is `invalid` with the reason; one that does not fit in memory is `outOfMemory` with its report.
    public func evaluate(_ index: Int) -> SweepPoint {
        let assignment = assignment(index)
        do {
            let e = try experiment(at: index)
            let a = try Analysis.analyze(e)
            // The run with failures and checkpoints; a point whose run cannot finish keeps its step.
            let whole = try? WholeRun.wholeRun(for: a)
            return SweepPoint(index: index, assignment: assignment, analysis: a, whole: whole)
        } catch {
            return SweepPoint(index: index, assignment: assignment, status: .invalid, reason: SweepPoint.reason(error), report: nil)
        }
    }
}
