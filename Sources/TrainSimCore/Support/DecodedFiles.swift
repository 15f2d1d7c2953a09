import Foundation

/// Decoded data files shared by every experiment a sweep or search decodes: while a cache is
/// active (``DecodedFiles/sharing(_:)``), each topology, device, stack, link profile and model
/// file is located, read and decoded once per process, and later loads with the same reference,
/// referring folder, referring file and key path get the same answer, errors included. Outside
/// it (a single `run`, the tests) every load reads the disk as before, so an edited file is seen.
public final class DecodedFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Any] = [:]

    nonisolated(unsafe) static var active: DecodedFiles?

    public init() {}

    /// Runs `body` with a cache of decoded files active (nested calls share the outer one).
    public static func sharing<T>(_ body: () throws -> T) rethrows -> T {
        if active != nil { return try body() }
        active = DecodedFiles()
        defer { active = nil }
        return try body()
    }

    /// Runs `body` with `cache` active for as long as it runs.
    public static func using<T>(_ cache: DecodedFiles, _ body: () throws -> T) rethrows -> T {
        let outer = active
        active = cache
        defer { active = outer }
        return try body()
    }

    /// `load()`'s answer for `key`, decoded once while a cache is active.
    static func memo<T>(_ kind: String, _ key: [String?], _ load: () throws(TrainSimError) -> T) throws(TrainSimError) -> T {
        guard let cache = active else { return try load() }
        let k = kind + "\u{1}" + key.map { $0 ?? "\u{2}" }.joined(separator: "\u{1}")
        cache.lock.lock()
        let known = cache.entries[k] as? Result<T, TrainSimError>
        cache.lock.unlock()
        if let known { return try known.get() }
        let result: Result<T, TrainSimError>
        do throws(TrainSimError) { result = .success(try load()) } catch { result = .failure(error) }
        cache.lock.lock()
        cache.entries[k] = result
        cache.lock.unlock()
        return try result.get()
    }
}
