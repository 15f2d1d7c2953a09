/// Which parts of a JSON document to build (`JSONParser.parse(bytes:keeping:)`): at an object,
/// the keys to keep, each with what to keep of its value; `.all` keeps a value whole. The keys
/// left out are checked for syntax and skipped (a duplicate among them is not looked for).
public indirect enum JSONProjection: Sendable {
    case all
    case keys([String: JSONProjection])

    var keys: [String: JSONProjection]? {
        if case let .keys(k) = self { return k }
        return nil
    }

    /// Keeps each dotted key path whole ("report.memory" keeps the report's `memory` object and
    /// nothing else of the report); a path that is a prefix of another keeps the longer one whole too.
    public init(paths: [String]) {
        var root: [String: JSONProjection] = [:]
        for path in paths { Self.add(path.split(separator: ".").map(String.init)[...], to: &root) }
        self = .keys(root)
    }

    /// The parts of a value this projection keeps: what `JSONParser.parse(bytes:keeping:)` builds
    /// from the value's JSON text (objects keep their listed keys, in their order; any other value
    /// is kept whole).
    public func apply(_ v: JSONValue) -> JSONValue {
        guard case let .keys(k) = self, case let .object(pairs) = v else { return v }
        return .object(pairs.compactMap { pair in k[pair.0].map { (pair.0, $0.apply(pair.1)) } })
    }

    private static func add(_ path: ArraySlice<String>, to map: inout [String: JSONProjection]) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if rest.isEmpty { map[head] = .all; return }
        if case .all? = map[head] { return }
        var sub = map[head]?.keys ?? [:]
        add(rest, to: &sub)
        map[head] = .keys(sub)
    }
}
