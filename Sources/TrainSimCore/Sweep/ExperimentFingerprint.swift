import Foundation

/// A fingerprint of everything that decides an experiment's results: the experiment document
/// and the bytes of every data file it pulled in (model, topology, device, framework, defaults).
/// Each file counts by where it was found (`label`) and its canonical JSON (compact, keys in
/// file order), so re-indenting a file keeps the fingerprint and changing any value, or which
/// file a name resolves to, changes it. A sweep's journal stamps every line with it (`SweepJournal.seal`).
public enum ExperimentFingerprint {
    /// Bumped when what goes into the fingerprint changes.
    public static let scheme = "trainsim-experiment-fingerprint-1"

    /// FNV-1a 64 (16 hex digits) of the document and the files, in path order.
    public static func of(document: JSONValue, files: [InputFiles.File]) -> String {
        var h = FNV1a()
        h.add(scheme + "\n")
        h.add(JSONWriter.write(document, pretty: false) + "\n")
        for f in files.sorted(by: { $0.path < $1.path }) {
            h.add(f.path + "\n")
            h.add(canonical(f.bytes))
            h.add("\n")
        }
        return h.hex
    }

    /// Where a file was found, independent of where the project lies: `experiment:NAME` beside
    /// the experiment, `home:Topologies/...` in trainsim's folder, else the absolute path. So the
    /// same sweep gives the same lines in any checkout, and a local file standing in for a
    /// shipped one still changes the fingerprint.
    public static func label(_ path: String, experimentFolder: URL?, home: URL?) -> String {
        for (name, folder) in [("experiment", experimentFolder), ("home", home)] {
            guard let folder else { continue }
            let prefix = folder.standardizedFileURL.path + "/"
            if path.hasPrefix(prefix) { return name + ":" + path.dropFirst(prefix.count) }
        }
        return path
    }

    /// A file's JSON written compactly; bytes that are not JSON count as they are.
    static func canonical(_ bytes: Data) -> [UInt8] {
        guard let v = try? JSONParser.parse(bytes) else { return [UInt8](bytes) }
        return Array(JSONWriter.write(v, pretty: false).utf8)
    }
}

extension SweepPlan {
    /// The fingerprint of this sweep: its document (base and axes) and every file that any of
    /// its points reads, as ``Experiment/readReferencedFiles(_:folder:file:)`` reaches them (the
    /// same list rank 0 sends under MPI). Errors are ignored here: points that cannot load say so themselves.
    public func fingerprint() -> String {
        let axesObject = JSONValue.object(axes.map { ($0.path, JSONValue.array($0.values)) })
        Experiment.readReferencedFiles(base.setting(["sweep"], to: axesObject), folder: folder, file: file)
        let sweep = JSONValue.array(axes.map { .object([("path", .string($0.path)), ("values", .array($0.values))]) })
        let home = DataLocator.home
        let files = InputFiles.recorded.map {
            InputFiles.File(path: ExperimentFingerprint.label($0.path, experimentFolder: folder, home: home), bytes: $0.bytes)
        }
        return ExperimentFingerprint.of(document: .object([("experiment", base), ("sweep", sweep)]), files: files)
    }
}
