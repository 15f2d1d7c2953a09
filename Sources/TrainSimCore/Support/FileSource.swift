import Foundation

/// Where trainsim's loaders read their input: the experiment and every data file it names
/// (designs, devices, stacks, model files, run defaults). ``DataLocator`` asks it every file
/// system question it has (does this path exist, what does this folder hold, what are this
/// file's bytes, where is trainsim's home, what is the current folder).
///
/// Normally it asks the disk. Under MPI, rank 0 alone reads: it sets a recording source,
/// loads the input (which records every question and its answer in a ``FileRecord``), and
/// sends the record to the other ranks, which replay it. Every rank then sees the same
/// bytes, so an input error is found the same way everywhere, and a file that only rank 0
/// can see (no shared file system) is no problem. After sharing, rank 0 replays the record
/// too, so a question rank 0 did not ask while recording gets the same answer on every rank.
public final class FileSource: @unchecked Sendable {
    public enum Mode: Sendable, Equatable {
        /// Ask the disk; remember nothing.
        case disk
        /// Answer from the record when it has the question, otherwise ask the disk and record.
        case recording
        /// Answer from the record only; a question it lacks finds nothing (see ``FileRecord/misses``).
        case replaying
    }

    /// The source every loader reads through.
    nonisolated(unsafe) public static var current = FileSource()

    public let mode: Mode
    private let lock = NSLock()
    private var stored: FileRecord

    public init(mode: Mode = .disk, record: FileRecord = FileRecord()) {
        self.mode = mode
        self.stored = record
    }

    /// What was recorded (or is replayed) so far.
    public var record: FileRecord { lock.withLock { stored } }

    /// The folder holding the shipped `Topologies/`, as ``DataLocator/home`` finds it on disk.
    /// Asked of the disk once per source: the search resolves the executable's links and looks in
    /// six folders, and a run asks for home at every file it resolves.
    public var home: URL? {
        let path: String?
        if mode == .disk {
            path = lock.withLock { () -> String? in
                if let known = diskHome { return known }
                let found = DataLocator.homeOnDisk()?.path
                diskHome = .some(found)
                return found
            }
        } else {
            path = answer(\FileRecord.home, miss: nil) { () -> String? in DataLocator.homeOnDisk()?.path }
        }
        return path.map { URL(fileURLWithPath: $0) }
    }
    private var diskHome: String??

    /// The folder relative paths are resolved against.
    public var currentDirectory: String {
        answer(\.currentDirectory, miss: "/") { FileManager.default.currentDirectoryPath }
    }

    /// What is at `path`.
    public func kind(_ path: String) -> FileRecord.Kind {
        answer(path, \.kinds, miss: .none) {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return .none }
            return isDir.boolValue ? .directory : .file
        }
    }

    /// The names in folder `path` (empty when it cannot be listed).
    public func listing(_ path: String) -> [String] {
        answer(path, \.listings, miss: []) { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
    }

    /// The bytes of the file at `path`, at most `FileRecord.maxFileBytes`. A pipe or device
    /// (`trainsim /dev/stdin`) can be read only once: from disk, what it gave is kept for the next
    /// read of the same path (a sweep or search file is read again by its verb).
    public func read(_ path: String) -> FileRecord.Read {
        if mode == .disk, Self.isStream(path) {
            return lock.withLock {
                if let known = streams[path] { return known }
                let r = Self.readFromDisk(path)
                streams[path] = r
                return r
            }
        }
        return answer(path, \.reads, miss: .notShared) { Self.readFromDisk(path) }
    }
    private var streams: [String: FileRecord.Read] = [:]

    /// Whether `path` is a pipe, socket or character device.
    static func isStream(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFCHR || type == S_IFSOCK
    }

    /// A URL for a path given on the command line or in a file: relative paths are taken from
    /// ``currentDirectory``, so a rank replaying rank 0's record finds rank 0's files.
    public func url(forPath path: String) -> URL {
        if path.hasPrefix("/") || mode == .disk { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: currentDirectory, isDirectory: true).appendingPathComponent(path)
    }

    /// The key paths are autoclosures: a key path made at run time costs the Swift runtime about
    /// 0.1 M instructions the first time at each place (metadata of its generic class), which a
    /// process that reads from disk, as every one outside `mpirun` does, never needs.
    private func answer<T>(_ key: String, _ table: @autoclosure () -> WritableKeyPath<FileRecord, [String: T]>, miss: T, disk: () -> T) -> T {
        if mode == .disk { return disk() }
        let table = table()
        lock.lock()
        defer { lock.unlock() }
        if let known = stored[keyPath: table][key] { return known }
        if mode == .replaying {
            stored.misses.append(key)
            return miss
        }
        let value = disk()
        stored[keyPath: table][key] = value
        return value
    }

    private func answer<T>(_ field: @autoclosure () -> WritableKeyPath<FileRecord, T?>, miss: T, disk: () -> T) -> T {
        if mode == .disk { return disk() }
        let field = field()
        lock.lock()
        defer { lock.unlock() }
        if let known = stored[keyPath: field] { return known }
        if mode == .replaying { return miss }
        let value = disk()
        stored[keyPath: field] = value
        return value
    }

    /// Reads a file, or a pipe or device (/dev/stdin, a process substitution) as a stream.
    static func readFromDisk(_ path: String) -> FileRecord.Read {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return .missing }
        if isDir.boolValue { return .directory }
        let url = URL(fileURLWithPath: path)
        var data: Data
        do { data = try Data(contentsOf: url) } catch {
            guard let h = FileHandle(forReadingAtPath: path) else { return .unreadable(error.localizedDescription) }
            defer { try? h.close() }
            data = Data()
            while data.count <= FileRecord.maxFileBytes, let chunk = try? h.read(upToCount: 1 << 20), !chunk.isEmpty { data.append(chunk) }
        }
        return data.count > FileRecord.maxFileBytes ? .tooLarge : .bytes(data)
    }
}
