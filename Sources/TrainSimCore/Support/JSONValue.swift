import Foundation

/// A JSON document as read from a file: objects keep their key order, so sweeps expand
/// in the order the user wrote and output is deterministic.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    /// Returns a copy with the value at a dotted key path replaced (objects created on the way).
    public func setting(_ path: [String], to newValue: JSONValue) -> JSONValue {
        var copy = self
        copy.set(path[...], to: newValue)
        return copy
    }

    /// Sets the value at a key path in place (objects created on the way), without copying the
    /// objects along the path again when this value holds the only reference to them (a sweep
    /// point sets each of its axes in turn into one copy of the base document).
    public mutating func set(_ path: ArraySlice<String>, to newValue: JSONValue) {
        guard let head = path.first else { self = newValue; return }
        var pairs: [(String, JSONValue)]
        if case let .object(p) = self { pairs = p } else { pairs = [] }
        // Drop this value's reference to the pairs, so that they are copied only when shared.
        self = .null
        if let i = pairs.firstIndex(where: { $0.0 == head }) {
            pairs[i].1.set(path.dropFirst(), to: newValue)
        } else {
            var v = JSONValue.object([])
            v.set(path.dropFirst(), to: newValue)
            pairs.append((head, v))
        }
        self = .object(pairs)
    }

    /// Returns a copy without the given top-level key.
    public func removing(_ key: String) -> JSONValue {
        if case let .object(p) = self { return .object(p.filter { $0.0 != key }) }
        return self
    }

    public func value(at path: [String]) -> JSONValue? {
        var v: JSONValue? = self
        for k in path { v = v?[k] }
        return v
    }

    /// The value at a dotted key path ("breakdown.compute"): `value(at:)` of its parts, found
    /// without making a string of each part (a sweep's table reads a dozen paths per point).
    public func value(dotted path: String) -> JSONValue? {
        var v = self
        var path = path
        return path.withUTF8 { bytes -> JSONValue? in
            // Empty parts are skipped, as `split(separator:)` drops them.
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ".") { end += 1 }
                if end > start {
                    let part = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    guard case let .object(pairs) = v,
                          let i = pairs.firstIndex(where: { $0.0.utf8.elementsEqual(part) }) else { return nil }
                    v = pairs[i].1
                }
                start = end + 1
            }
            return v
        }
    }
}
