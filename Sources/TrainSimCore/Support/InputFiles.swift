import Foundation

/// Every input file this process has read through `DataLocator.readJSON`: the experiment and
/// each model, topology, device, framework and defaults file it pulled in, with the bytes read.
/// A sweep's journal is stamped with a fingerprint of these (`ExperimentFingerprint`), so
/// `--resume` can tell when an input changed. Reads are recorded by path; a later read of the
/// same path replaces the earlier one.
public enum InputFiles {
    public struct File: Sendable, Equatable {
        /// The path as read, standardized (absolute).
        public var path: String
        public var bytes: Data
        public init(path: String, bytes: Data) { self.path = path; self.bytes = bytes }
    }

    /// The bytes are kept as arrays, not `Data`: a `Data` is an enum whose class reference carries
    /// its case in the pointer's spare bits, so LeakSanitizer (`make fuzz`) cannot see that this
    /// global holds it and reported every file read as leaked at exit (a false leak that failed
    /// every fuzzing run, however clean).
    private final class Store: @unchecked Sendable {
        let lock = NSLock()
        var files: [String: [UInt8]] = [:]
    }

    private static let store = Store()

    /// Notes that `bytes` were read from `url`.
    public static func record(_ url: URL, _ bytes: Data) {
        let path = url.standardizedFileURL.path
        let copy = [UInt8](bytes)
        store.lock.lock()
        store.files[path] = copy
        store.lock.unlock()
    }

    /// The files read so far, by path.
    public static var recorded: [File] {
        store.lock.lock()
        defer { store.lock.unlock() }
        return store.files.keys.sorted().map { File(path: $0, bytes: Data(store.files[$0]!)) }
    }
}
