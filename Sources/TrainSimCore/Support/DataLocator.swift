import Foundation

/// Finds trainsim's data files (Topologies/, device files) for a name or a relative path:
/// first beside the file that refers to it, then in the current folder, then in the
/// Topologies/ shipped with trainsim (`TRAINSIM_HOME`, or found upward from the executable).
/// Every question about the file system goes through ``FileSource/current`` (under MPI, the
/// record of what rank 0 read).
public enum DataLocator {
    /// Set by the fuzzer: references resolve only to files under `home` (no absolute paths, no
    /// `..`, nothing beside the experiment or in the current folder), so that no input can make
    /// the decoder read a pipe, a device or a file outside trainsim's own data.
    nonisolated(unsafe) public static var shippedOnly = false

    /// The folder holding the shipped `Topologies/` and `Experiments/`, if it can be found
    /// (as ``FileSource/current`` knows it: under MPI, rank 0's).
    public static var home: URL? { FileSource.current.home }

    /// A path given by the user as a URL (relative paths from the source's current folder).
    public static func fileURL(_ path: String) -> URL { FileSource.current.url(forPath: path) }

    /// One environment variable. (`ProcessInfo.environment` copies the whole environment into a
    /// dictionary, about 3 M instructions a run, more under mpirun's 50 extra variables, for one lookup.)
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// ``home`` as this process finds it on disk: `TRAINSIM_HOME` when set (it must hold
    /// Topologies/), else the executable's folder or one of the 5 above it, else the current folder.
    static func homeOnDisk() -> URL? {
        let fm = FileManager.default
        func hasTopologies(_ c: URL) -> Bool {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: c.appendingPathComponent("Topologies").path, isDirectory: &isDir) && isDir.boolValue
        }
        if let h = environment("TRAINSIM_HOME"), !h.isEmpty {
            let u = URL(fileURLWithPath: h)
            return hasTopologies(u) ? u : nil
        }
        var candidates: [URL] = []
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath))
        return candidates.first(where: hasTopologies)
    }

    private static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    }

    /// When trainsim's Topologies/ cannot be found: where it looked and how to point to it (one line).
    public static var homeMissing: String? {
        guard home == nil else { return nil }
        let set = "set TRAINSIM_HOME to the folder that holds trainsim's Topologies/ (the trainsim source folder)"
        if let h = environment("TRAINSIM_HOME"), !h.isEmpty {
            return "trainsim's data folder is not found: TRAINSIM_HOME is \"\(h)\", which has no Topologies/ folder; \(set)"
        }
        let exe = executable.deletingLastPathComponent().path
        return "trainsim's data folder is not found: no Topologies/ folder in \(exe) or the 5 folders above it "
            + "(where the trainsim executable is), nor in the current folder \(FileSource.current.currentDirectory); \(set)"
    }

    /// Resolves `reference` (a preset name like "h800-ib" or a path) to a file URL.
    /// - Parameters:
    ///   - folder: the shipped folder to look in for presets, e.g. "Topologies" or "Topologies/devices".
    ///   - relativeTo: the folder of the file that made the reference.
    public static func resolve(_ reference: String, folder: String, relativeTo: URL?) -> URL? {
        let source = FileSource.current
        var names = [reference]
        if !reference.hasSuffix(".json") { names.append(reference + ".json") }
        var bases: [URL] = []
        if shippedOnly {
            if reference.hasPrefix("/") || reference.split(separator: "/").contains("..") || reference.contains("\0") { return nil }
        } else {
            if let r = relativeTo { bases.append(r) }
            bases.append(URL(fileURLWithPath: source.currentDirectory))
        }
        if let h = source.home {
            bases.append(h.appendingPathComponent(folder))
            bases.append(h)
        }
        for name in names {
            if name.hasPrefix("/") {
                if source.kind(name) != .none { return URL(fileURLWithPath: name) }
                continue
            }
            for b in bases {
                let u = b.appendingPathComponent(name).standardizedFileURL
                if source.kind(u.path) == .file { return u }
            }
        }
        return nil
    }

    /// Finds a data file that another file names (a design's device, an experiment's topology or
    /// framework): `subfolder/reference` beside the referring file first, then the shipped
    /// `folder`. A miss names the closest shipped preset, or lists them, or says that the shipped
    /// data were not found and how to point to them.
    /// - Parameter byName: a bare name (no `/`, no `.json`) is only looked up in the library,
    ///   `subfolder/NAME.json` beside the referring file then the shipped `folder`, never as a
    ///   file of the referring file's own folder (a design `kunlunxin-p800.json` naming its
    ///   device `kunlunxin-p800` must not find itself). `subfolder/NAME` is the library's NAME too.
    public static func locate(_ reference: String, kind: String, subfolder: String?, folder: String, relativeTo: URL?,
                              referencedFrom: String?, keyPath: String, byName: Bool = false) throws(TrainSimError) -> URL {
        if byName, let sub = subfolder {
            var name = reference
            if name.hasPrefix(sub + "/") { name.removeFirst(sub.count + 1) }
            if !name.isEmpty, !name.contains("/"), !name.hasSuffix(".json") {
                if !shippedOnly, let r = relativeTo, let u = regularFile(r.appendingPathComponent(sub).appendingPathComponent(name + ".json")) {
                    return u
                }
                if let h = home, let u = regularFile(h.appendingPathComponent(folder).appendingPathComponent(name + ".json")) { return u }
                try notFound(reference, kind: kind, folder: folder, referencedFrom: referencedFrom, keyPath: keyPath)
            }
        }
        if let sub = subfolder, let u = resolve(sub + "/" + reference, folder: "Topologies", relativeTo: relativeTo) { return u }
        if let u = resolve(reference, folder: folder, relativeTo: relativeTo) { return u }
        try notFound(reference, kind: kind, folder: folder, referencedFrom: referencedFrom, keyPath: keyPath)
    }

    private static func regularFile(_ u: URL) -> URL? {
        FileSource.current.kind(u.path) == .file ? u.standardizedFileURL : nil
    }

    private static func notFound(_ reference: String, kind: String, folder: String, referencedFrom: String?,
                                 keyPath: String) throws(TrainSimError) -> Never {
        if let missing = homeMissing {
            throw TrainSimError(file: referencedFrom, path: keyPath, "\(kind) \"\(reference)\" not found: \(missing)")
        }
        let known = presets(in: folder)
        let hint = closestMatch(reference, in: known).map { "; did you mean \"\($0)\"?" }
            ?? (known.isEmpty ? "" : " (presets: \(known.joined(separator: ", ")))")
        throw TrainSimError(file: referencedFrom, path: keyPath, "\(kind) \"\(reference)\" not found\(hint)")
    }

    /// Names of the shipped presets in a folder (file names without .json), sorted.
    public static func presets(in folder: String) -> [String] {
        guard let h = home else { return [] }
        let dir = h.appendingPathComponent(folder)
        let items = FileSource.current.listing(dir.path)
        return items.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Reads a file's bytes through the current `FileSource` (rank 0's record under MPI), every
    /// failure one line naming the file; `what` says what the file should have been ("a JSON file").
    public static func readBytes(_ path: String, displayName name: String, what: String) throws(TrainSimError) -> Data {
        switch FileSource.current.read(path) {
        case let .bytes(d): return d
        case .missing: throw TrainSimError(file: name, "no such file")
        case .directory: throw TrainSimError(file: name, "is a directory, not \(what)")
        case let .unreadable(why): throw TrainSimError(.environment, file: name, "cannot be read (\(why))")
        case .tooLarge: throw TrainSimError(file: name, "is larger than 64 MiB; not \(what)")
        case .notShared: throw TrainSimError(.environment, file: name, "was not among the files rank 0 read and sent to the other ranks")
        }
    }

    /// Reads and parses a JSON file, turning every failure into one clear line.
    public static func readJSON(_ url: URL, displayName: String? = nil) throws(TrainSimError) -> JSONValue {
        let name = displayName ?? url.path
        let data = try readBytes(url.path, displayName: name, what: "a JSON file")
        InputFiles.record(url, data)
        do {
            return try JSONParser.parse(data)
        } catch {
            throw TrainSimError(file: name, "line \(error.line), column \(error.column): \(error.message)")
        }
    }
}
