import Foundation

extension Experiment {
    /// Reads every data file that decoding `document`, any point of its sweep or any cluster of
    /// its search may read: the model file or Hugging Face config, the stack (`training.framework`), the designs
    /// (`cluster.topology`, with their devices, silicon and link profiles), the experiment's
    /// `cluster.linkProfile`, the run defaults and the validated accuracy. Errors are ignored here;
    /// decoding reports them. Under MPI, rank 0 calls this while recording (see ``FileSource``)
    /// so the other ranks get every file a point may need from it.
    public static func readReferencedFiles(_ document: JSONValue, folder: URL?, file: String?) {
        _ = try? RunDefaults.shipped()
        _ = try? ValidatedAccuracy.shippedIfPresent()
        let axes = sweepAxes(document)
        // A model path (a model file or a Hugging Face config.json), or an object naming one in "huggingface".
        for case let model? in values(at: ["model"], in: document, axes: axes) {
            switch model {
            case .string: break
            case .object where model["huggingface"] != nil: break
            default: continue
            }
            do { _ = try ModelSpec.read(try ObjectReader(.object([("model", model)]), path: "", file: file), folder: folder) } catch {}
        }
        for framework in values(at: ["training", "framework"], in: document, axes: axes) {
            let stack: JSONValue? = framework.flatMap { f in if case .object = f { return f["stack"] } else { return f } }
            let reference: String
            switch stack {
            case nil: reference = FrameworkSpec.reference.id
            case let .string(s)?: reference = s
            default: continue
            }
            _ = try? FrameworkSpec.load(reference, relativeTo: folder, referencedFrom: file, keyPath: "training.framework")
        }
        for case let .string(profile)? in values(at: ["cluster", "linkProfile"], in: document, axes: axes) {
            _ = try? LinkProfile.load(profile, relativeTo: folder, referencedFrom: file, keyPath: "cluster.linkProfile")
        }
        var topologies = values(at: ["cluster", "topology"], in: document, axes: axes)
        if case let .array(choices)? = document.value(at: ["search", "space"])?["cluster.topology"] { topologies += choices.map { Optional($0) } }
        var seen = Set<String>()
        for case let .string(t)? in topologies where seen.insert(t).inserted {
            // A run that names no stack runs its device's default one (MindSpeed on Ascend).
            if let stack = (try? TopologySpec.load(t, relativeTo: folder, referencedFrom: file, keyPath: "cluster.topology"))?.device.defaultStack {
                _ = try? FrameworkSpec.load(stack, relativeTo: folder, referencedFrom: file, keyPath: "training.framework")
            }
        }
    }

    /// The sweep's axes as (key path components, values), in file order; empty when it has none or they are malformed.
    private static func sweepAxes(_ document: JSONValue) -> [(path: [String], values: [JSONValue])] {
        guard case let .object(pairs)? = document["sweep"] else { return [] }
        return pairs.compactMap { k, v in
            guard case let .array(values) = v, !values.isEmpty else { return nil }
            return (k.split(separator: ".").map(String.init), values)
        }
    }

    /// The distinct values the document has at `path` over every point of the sweep: only the
    /// axes on `path`, above it or below it matter, so those are the only ones enumerated.
    private static func values(at path: [String], in document: JSONValue, axes: [(path: [String], values: [JSONValue])]) -> [JSONValue?] {
        func related(_ p: [String]) -> Bool { p.starts(with: path) || path.starts(with: p) }
        let relevant = axes.filter { related($0.path) }
        let base = document.value(at: path)
        // A sweep with more points than allowed is refused when it is read; nothing to enumerate.
        var points = 1, overflow = false
        for axis in relevant where !overflow {
            (points, overflow) = points.multipliedReportingOverflow(by: axis.values.count)
            overflow = overflow || points > SweepPlan.maxPoints
        }
        guard !relevant.isEmpty, !overflow else { return [base] }
        var out: [JSONValue?] = [], seen = Set<String>()
        var index = [Int](repeating: 0, count: relevant.count)
        while true {
            var v = base
            for (k, axis) in relevant.enumerated() {
                let value = axis.values[index[k]]
                if axis.path.count <= path.count {
                    // The axis sets the value at `path` or an object above it.
                    v = value.value(at: Array(path.dropFirst(axis.path.count)))
                } else {
                    v = (v ?? .object([])).setting(Array(axis.path.dropFirst(path.count)), to: value)
                }
            }
            let key = v.map { JSONWriter.write($0, pretty: false) } ?? ""
            if seen.insert(key).inserted { out.append(v) }
            // Next combination, the last axis fastest.
            var k = relevant.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < relevant[k].values.count { break }
                index[k] = 0
                k -= 1
            }
            if k < 0 { return out }
        }
    }
}

extension Experiment {
    /// Reads the experiment file at `path` and every data file it may read (``readReferencedFiles(_:folder:file:)``).
    /// Errors are left to the loading that follows.
    public static func readFiles(path: String) {
        let url = DataLocator.fileURL(path)
        guard let json = try? DataLocator.readJSON(url, displayName: path) else { return }
        readReferencedFiles(json, folder: url.deletingLastPathComponent(), file: path)
    }
}
