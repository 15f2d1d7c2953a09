import Foundation

/// Finds trainsim's data files (Topologies/, device files) for a name or a relative path:
/// first beside the file that refers to it, then in the current folder, then in the
/// Topologies/ shipped with trainsim (`TRAINSIM_HOME`, or found upward from the executable).
public enum DataLocator {
    /// Set by the fuzzer: references resolve only to files under `home` (no absolute paths, no
    /// `..`, nothing beside the experiment or in the current folder), so that no input can make
    /// the decoder read a pipe, a device or a file outside trainsim's own data.
    nonisolated(unsafe) public static var shippedOnly = false

    /// The folder holding the shipped `Topologies/` and `Experiments/`, if it can be found:
    /// `TRAINSIM_HOME` when set (it must hold Topologies/), else the executable's folder or one
    /// of the 5 above it, else the current folder.
    public static var home: URL? {
        let fm = FileManager.default
        func hasTopologies(_ c: URL) -> Bool {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: c.appendingPathComponent("Topologies").path, isDirectory: &isDir) && isDir.boolValue
        }
        if let h = ProcessInfo.processInfo.environment["TRAINSIM_HOME"], !h.isEmpty {
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
        if let h = ProcessInfo.processInfo.environment["TRAINSIM_HOME"], !h.isEmpty {
            return "trainsim's data folder is not found: TRAINSIM_HOME is \"\(h)\", which has no Topologies/ folder; \(set)"
        }
        let exe = executable.deletingLastPathComponent().path
        return "trainsim's data folder is not found: no Topologies/ folder in \(exe) or the 5 folders above it "
            + "(where the trainsim executable is), nor in the current folder \(FileManager.default.currentDirectoryPath); \(set)"
    }

    /// Resolves `reference` (a preset name like "h800-ib" or a path) to a file URL.
    /// - Parameters:
    ///   - folder: the shipped folder to look in for presets, e.g. "Topologies" or "Topologies/devices".
    ///   - relativeTo: the folder of the file that made the reference.
    public static func resolve(_ reference: String, folder: String, relativeTo: URL?) -> URL? {
        let fm = FileManager.default
        var names = [reference]
        if !reference.hasSuffix(".json") { names.append(reference + ".json") }
        var bases: [URL] = []
        if shippedOnly {
            if reference.hasPrefix("/") || reference.split(separator: "/").contains("..") || reference.contains("\0") { return nil }
        } else {
            if let r = relativeTo { bases.append(r) }
            bases.append(URL(fileURLWithPath: fm.currentDirectoryPath))
        }
        if let h = home {
            bases.append(h.appendingPathComponent(folder))
            bases.append(h)
        }
        for name in names {
            if name.hasPrefix("/") {
                if fm.fileExists(atPath: name) { return URL(fileURLWithPath: name) }
                continue
            }
            for b in bases {
                let u = b.appendingPathComponent(name).standardizedFileURL
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: u.path, isDirectory: &isDir), !isDir.boolValue { return u }
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
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir) && !isDir.boolValue ? u.standardizedFileURL : nil
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
        let items = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return items.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Reads and parses a JSON file, turning every failure into one clear line.
    public static func readJSON(_ url: URL, displayName: String? = nil) throws(TrainSimError) -> JSONValue {
        let name = displayName ?? url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw TrainSimError(file: name, "no such file")
        }
        if isDir.boolValue { throw TrainSimError(file: name, "is a directory, not a JSON file") }
        var data: Data
        do { data = try Data(contentsOf: url) } catch {
            // A pipe or device (/dev/stdin, a process substitution) is read as a stream, at most 64 MiB.
            guard let h = FileHandle(forReadingAtPath: url.path) else {
                throw TrainSimError(.environment, file: name, "cannot be read (\(error.localizedDescription))")
            }
            defer { try? h.close() }
            data = Data()
            while data.count <= 64 << 20, let chunk = try? h.read(upToCount: 1 << 20), !chunk.isEmpty { data.append(chunk) }
        }
        if data.count > 64 << 20 { throw TrainSimError(file: name, "is larger than 64 MiB; not an experiment file") }
        do {
            return try JSONParser.parse(data)
        } catch {
            throw TrainSimError(file: name, "line \(error.line), column \(error.column): \(error.message)")
        }
    }
}
