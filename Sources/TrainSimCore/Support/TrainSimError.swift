import Foundation

/// Every error trainsim reports: typed, with the file and key path it came from.
/// The CLI prints `description` as one line and maps `kind` to the exit code.
public struct TrainSimError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The input is wrong (exit code 2).
        case badInput
        /// The input is valid but the run cannot work, e.g. out of memory (exit code 1).
        case cannotRun
        /// The environment failed (file system, MPI) (exit code 2).
        case environment
    }

    public var kind: Kind
    public var file: String?
    public var path: String?
    public var message: String

    public init(_ kind: Kind = .badInput, file: String? = nil, path: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.path = path
        self.message = message
    }

    /// The same error as met inside a file that another file referred to: it is reported under
    /// the referring file and key, naming the reference as written there
    /// (`e.json: cluster.topology "../x/t.json": line 1, column 1: unexpected character 'r'`).
    /// Errors that are not about `innerFile` are left as they are.
    public func referenced(as reference: String, innerFile: String, from file: String?, keyPath: String) -> TrainSimError {
        guard self.file == innerFile else { return self }
        var e = self
        e.file = file
        e.path = (keyPath.isEmpty ? "" : keyPath + " ") + "\"" + reference + "\""
        if let p = path, !p.isEmpty { e.message = p + ": " + message }
        return e
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let path, !path.isEmpty { parts.append(path) }
        parts.append(message)
        return escapingControlCharacters(parts.joined(separator: ": "))
    }

    public var exitCode: Int32 { kind == .cannotRun ? 1 : 2 }

    /// The same error, attributed to a file when it has none yet.
    public func inFile(_ f: String) -> TrainSimError {
        var e = self
        if e.file == nil { e.file = f }
        return e
    }
}

/// The text with every control character escaped (`\n`, `\t`, `\u{1b}`, ...), so that an error
/// quoting input stays one line and cannot drive the terminal. Bidirectional overrides (which
/// reorder what a terminal shows) are escaped too.
public func escapingControlCharacters(_ text: String) -> String {
    func unsafe(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0) || (0x202A...0x202E).contains(u.value)
            || (0x2066...0x2069).contains(u.value) || u.value == 0x200E || u.value == 0x200F || u.value == 0x061C
    }
    guard text.unicodeScalars.contains(where: unsafe) else { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        guard unsafe(u) else { out.append(u); continue }
        let escaped: String
        switch u {
        case "\n": escaped = "\\n"
        case "\t": escaped = "\\t"
        case "\r": escaped = "\\r"
        default: escaped = "\\u{" + String(u.value, radix: 16) + "}"
        }
        out.append(contentsOf: escaped.unicodeScalars)
    }
    return String(out)
}

/// Levenshtein distance, for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased()), y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev: [Int] = Array(0...y.count)
    var cur: [Int] = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            let sub: Int = prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
            let del: Int = prev[j] + 1
            let ins: Int = cur[j - 1] + 1
            let best: Int = sub < del ? sub : del
            cur[j] = best < ins ? best : ins
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The closest candidate to a misspelt word, if one is close enough to be a likely typo.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    // Closest by edit distance; ties go to the longest shared prefix, then alphabetical order.
    func sharedPrefix(_ c: String) -> Int { zip(word.lowercased(), c.lowercased()).prefix { $0 == $1 }.count }
    var best: (String, Int)?
    for c in candidates {
        let d: Int = editDistance(word, c)
        if let b = best {
            if b.1 < d { continue }
            if b.1 == d {
                let pb = sharedPrefix(b.0), pc = sharedPrefix(c)
                if pb > pc || (pb == pc && b.0 <= c) { continue }
            }
        }
        best = (c, d)
    }
    guard let best else { return nil }
    let limit = max(1, min(3, word.count / 2))
    if best.1 <= limit { return best.0 }
    if best.0.lowercased().hasPrefix(word.lowercased()) || word.lowercased().hasPrefix(best.0.lowercased()) { return best.0 }
    return nil
}
