import Foundation

/// Reads one JSON object strictly: each key read is marked, `finish()` rejects the rest as
/// unknown (with a "did you mean"), and each value is checked for type and range, so every
/// mistake becomes one line naming the file and the key path.
public final class ObjectReader {
    public let path: String
    public let file: String?
    private let pairs: [(String, JSONValue)]
    /// Where each key sits in `pairs` (the first, should a hand-built object repeat one); built
    /// only for large objects, so that reading every key of one stays linear.
    private let index: [String: Int]?
    /// The keys read, in order (for "did you mean"), and as a set once there are many.
    private var known: [String] = []
    private var knownSet: Set<String> = []

    public init(_ value: JSONValue, path: String, file: String?) throws(TrainSimError) {
        guard case let .object(p) = value else {
            throw TrainSimError(file: file, path: path.isEmpty ? nil : path, "expected an object, found \(value.typeName)")
        }
        self.pairs = p
        self.index = p.count <= 16 ? nil
            : Dictionary(p.enumerated().map { ($0.element.0, $0.offset) }, uniquingKeysWith: { first, _ in first })
        self.path = path
        self.file = file
    }

    public func keyPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    public func error(_ key: String, _ message: String) -> TrainSimError {
        TrainSimError(file: file, path: keyPath(key), message)
    }

    public func has(_ key: String) -> Bool { position(key) != nil }

    private func position(_ key: String) -> Int? {
        if let index { return index[key] }
        return pairs.firstIndex { $0.0 == key }
    }

    /// The object's keys, in file order (for objects keyed by name, such as per-silicon figures).
    public var keys: [String] { pairs.map(\.0) }

    /// The raw value of a key, marking it as known.
    public func raw(_ key: String) -> JSONValue? {
        if known.count < 32 {
            if !known.contains(key) { known.append(key) }
        } else {
            if knownSet.isEmpty { knownSet = Set(known) }
            if knownSet.insert(key).inserted { known.append(key) }
        }
        guard let at = position(key) else { return nil }
        let v = pairs[at].1
        if case .null = v { return nil }
        return v
    }

    public func object(_ key: String) throws(TrainSimError) -> ObjectReader? {
        guard let v = raw(key) else { return nil }
        return try ObjectReader(v, path: keyPath(key), file: file)
    }

    public func requiredObject(_ key: String) throws(TrainSimError) -> ObjectReader {
        guard let o = try object(key) else { throw error(key, "missing required key") }
        return o
    }

    public func string(_ key: String) throws(TrainSimError) -> String? {
        guard let v = raw(key) else { return nil }
        guard case let .string(s) = v else { throw error(key, "expected a string, found \(v.typeName)") }
        if s.isEmpty { throw error(key, "must not be empty") }
        return s
    }

    public func requiredString(_ key: String) throws(TrainSimError) -> String {
        guard let s = try string(key) else { throw error(key, "missing required key") }
        return s
    }

    /// A string that must be one of the given choices.
    public func choice(_ key: String, _ choices: [String]) throws(TrainSimError) -> String? {
        guard let s = try string(key) else { return nil }
        guard choices.contains(s) else {
            let hint = closestMatch(s, in: choices).map { "; did you mean \"\($0)\"?" } ?? ""
            throw error(key, "\"\(s)\" is not one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))\(hint)")
        }
        return s
    }

    public func bool(_ key: String) throws(TrainSimError) -> Bool? {
        guard let v = raw(key) else { return nil }
        guard case let .bool(b) = v else { throw error(key, "expected true or false, found \(v.typeName)") }
        return b
    }

    /// A finite number in `range` (inclusive); `positive` excludes zero.
    public func number(_ key: String, in range: ClosedRange<Double> = 0...1e30, positive: Bool = false) throws(TrainSimError) -> Double? {
        guard let v = raw(key) else { return nil }
        guard case let .number(d) = v else { throw error(key, "expected a number, found \(v.typeName)") }
        return try check(key, d, range: range, positive: positive)
    }

    func check(_ key: String, _ d: Double, range: ClosedRange<Double>, positive: Bool) throws(TrainSimError) -> Double {
        if positive && d <= 0 { throw error(key, "must be greater than 0, found \(JSONWriter.number(d))") }
        if d < range.lowerBound { throw error(key, "must be at least \(JSONWriter.number(range.lowerBound)), found \(JSONWriter.number(d))") }
        if d > range.upperBound { throw error(key, "\(JSONWriter.number(d)) is out of range (at most \(JSONWriter.number(range.upperBound)))") }
        return d
    }

    public func requiredNumber(_ key: String, in range: ClosedRange<Double> = 0...1e30, positive: Bool = false) throws(TrainSimError) -> Double {
        guard let d = try number(key, in: range, positive: positive) else { throw error(key, "missing required key") }
        return d
    }

    /// A whole number in `range`.
    public func int(_ key: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws(TrainSimError) -> Int? {
        guard let v = raw(key) else { return nil }
        guard case let .number(d) = v else { throw error(key, "expected a whole number, found \(v.typeName)") }
        guard d == d.rounded() else { throw error(key, "expected a whole number, found \(JSONWriter.number(d))") }
        if d < Double(range.lowerBound) {
            throw error(key, range.lowerBound == 1 ? "must be at least 1, found \(JSONWriter.number(d))" : "must be at least \(range.lowerBound), found \(JSONWriter.number(d))")
        }
        if d > Double(range.upperBound) { throw error(key, "\(JSONWriter.number(d)) is out of range (at most \(range.upperBound))") }
        return Int(d)
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws(TrainSimError) -> Int {
        guard let n = try int(key, in: range) else { throw error(key, "missing required key") }
        return n
    }

    /// A figure that may be given as a plain number or as `{"value", "source", "confidence"}`.
    public func sourced(_ key: String, in range: ClosedRange<Double> = 0...1e30, positive: Bool = false) throws(TrainSimError) -> Sourced? {
        guard let v = raw(key) else { return nil }
        switch v {
        case let .number(d):
            return Sourced(value: try check(key, d, range: range, positive: positive), source: nil, confidence: nil)
        case .object:
            let o = try ObjectReader(v, path: keyPath(key), file: file)
            let d = try o.requiredNumber("value", in: range, positive: positive)
            let s = Sourced(value: d, source: try o.string("source"), confidence: try o.choice("confidence", Sourced.confidences))
            try o.finish()
            return s
        default:
            throw error(key, "expected a number or {\"value\", \"source\", \"confidence\"}, found \(v.typeName)")
        }
    }

    public func requiredSourced(_ key: String, in range: ClosedRange<Double> = 0...1e30, positive: Bool = false) throws(TrainSimError) -> Sourced {
        guard let s = try sourced(key, in: range, positive: positive) else { throw error(key, "missing required key") }
        return s
    }

    /// A whole number that may be given plain or as `{"value", "source", "confidence"}`.
    public func sourcedInt(_ key: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws(TrainSimError) -> Sourced? {
        guard let s = try sourced(key, in: Double(range.lowerBound)...Double(range.upperBound)) else { return nil }
        guard s.value == s.value.rounded() else { throw error(key, "expected a whole number, found \(JSONWriter.number(s.value))") }
        return s
    }

    /// A flag that may be given as plain `true`/`false` or as `{"value", "source", "confidence"}`.
    public func sourcedBool(_ key: String) throws(TrainSimError) -> SourcedFlag? {
        guard let v = raw(key) else { return nil }
        switch v {
        case let .bool(b):
            return SourcedFlag(value: b, source: nil, confidence: nil)
        case .object:
            let o = try ObjectReader(v, path: keyPath(key), file: file)
            guard let b = try o.bool("value") else { throw o.error("value", "missing required key") }
            let s = SourcedFlag(value: b, source: try o.string("source"), confidence: try o.choice("confidence", Sourced.confidences))
            try o.finish()
            return s
        default:
            throw error(key, "expected true, false or {\"value\", \"source\", \"confidence\"}, found \(v.typeName)")
        }
    }

    /// A value read by `read`, bare or as `{"value", "source", "confidence"}` (a stack file's
    /// choice or list of choices).
    private func sourcedValue<T>(_ key: String, _ read: (ObjectReader, String) throws(TrainSimError) -> T?)
        throws(TrainSimError) -> (value: T, source: String?, confidence: String?)? {
        guard let v = raw(key) else { return nil }
        if case .object = v {
            let o = try ObjectReader(v, path: keyPath(key), file: file)
            guard let c = try read(o, "value") else { throw o.error("value", "missing required key") }
            let s = (c, try o.string("source"), try o.choice("confidence", Sourced.confidences))
            try o.finish()
            return s
        }
        guard let c = try read(self, key) else { return nil }
        return (c, nil, nil)
    }

    /// A string, bare or as `{"value", "source", "confidence"}` (a device file's default stack).
    public func sourcedString(_ key: String) throws(TrainSimError) -> (value: String, source: String?, confidence: String?)? {
        try sourcedValue(key) { (r, k) throws(TrainSimError) in try r.string(k) }
    }

    /// One of `choices`, bare or as `{"value", "source", "confidence"}` (a stack file's choice).
    public func sourcedChoice(_ key: String, _ choices: [String]) throws(TrainSimError) -> (value: String, source: String?, confidence: String?)? {
        try sourcedValue(key) { (r, k) throws(TrainSimError) in try r.choice(k, choices) }
    }

    /// A non-empty list of distinct strings, each one of `choices`.
    public func choices(_ key: String, _ choices: [String]) throws(TrainSimError) -> [String]? {
        guard let items = try list(key) else { return nil }
        var out: [String] = []
        for v in items {
            guard case let .string(c) = v, choices.contains(c) else {
                throw error(key, "expected some of " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + ", found \(JSONWriter.write(v, pretty: false))")
            }
            guard !out.contains(c) else { throw error(key, "\"\(c)\" is listed twice") }
            out.append(c)
        }
        guard !out.isEmpty else { throw error(key, "expected at least one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")) }
        return out
    }

    /// `choices` as a sourced figure (`{"value": [...], "source", "confidence"}`) or a bare list.
    public func sourcedChoices(_ key: String, _ choices: [String]) throws(TrainSimError) -> (value: [String], source: String?, confidence: String?)? {
        try sourcedValue(key) { (r, k) throws(TrainSimError) in try r.choices(k, choices) }
    }

    public func list(_ key: String) throws(TrainSimError) -> [JSONValue]? {
        guard let v = raw(key) else { return nil }
        guard case let .array(items) = v else { throw error(key, "expected a list, found \(v.typeName)") }
        return items
    }

    /// Rejects every key that was not read, suggesting the closest known one.
    public func finish() throws(TrainSimError) {
        for (k, _) in pairs where !(knownSet.isEmpty ? known.contains(k) : knownSet.contains(k)) {
            let hint = closestMatch(k, in: known).map { "; did you mean \"\($0)\"?" } ?? ""
            throw error(k, "unknown key\(hint)")
        }
    }
}

/// A figure with where it came from: [P] primary, [S] secondary, [UNC] unconfirmed estimate,
/// [CAL] set by calibration against a published run.
public struct Sourced: Sendable, Equatable {
    public static let confidences = ["P", "S", "UNC", "CAL"]
    public var value: Double
    public var source: String?
    public var confidence: String?
    public init(value: Double, source: String? = nil, confidence: String? = nil) {
        self.value = value
        self.source = source
        self.confidence = confidence
    }
}

/// A flag with where it came from (see `Sourced`).
public struct SourcedFlag: Sendable, Equatable {
    public var value: Bool
    public var source: String?
    public var confidence: String?
    public init(value: Bool, source: String? = nil, confidence: String? = nil) {
        self.value = value
        self.source = source
        self.confidence = confidence
    }
}
