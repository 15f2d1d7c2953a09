import Foundation

/// The options of a Megatron-LM or MindSpeed command line, in order, each with its values
/// (`--rampup-batch-size 16 16 5859375` has three). Names are compared with `_` read as `-`
/// (`--nproc_per_node` is `--nproc-per-node`). Reading an option marks it used; the options
/// never read are the ones the import names as ignored.
public struct MegatronArguments: Sendable {
    public struct Option: Sendable, Equatable {
        public var name: String
        public var values: [String]
        public var used = false
        /// `--name v1 v2` as written, for messages.
        public var text: String { ([name] + values).joined(separator: " ") }
    }

    public private(set) var options: [Option] = []
    let file: String

    public init(_ words: [String], file: String) {
        self.file = file
        for w in words {
            if w.hasPrefix("--"), w.count > 2 {
                var name = String(w.dropFirst(2)), value: String?
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...]); name = String(name[..<eq])
                }
                options.append(Option(name: "--" + name.replacingOccurrences(of: "_", with: "-"), values: value.map { [$0] } ?? []))
            } else if options.isEmpty {
                options.append(Option(name: w, values: []))
            } else {
                options[options.count - 1].values.append(w)
            }
        }
    }

    /// The last occurrence of any of `names` (argparse keeps the last), marking every occurrence used.
    mutating func take(_ names: [String]) -> Option? {
        var found: Option?
        for k in options.indices where names.contains(options[k].name) {
            options[k].used = true
            found = options[k]
        }
        return found
    }

    public func has(_ names: String...) -> Bool { options.contains { names.contains($0.name) } }

    mutating func flag(_ names: String...) -> Bool { take(names) != nil }

    mutating func string(_ names: String...) throws(TrainSimError) -> String? {
        guard let o = take(names) else { return nil }
        guard let v = o.values.first else { throw TrainSimError(file: file, path: o.name, "needs a value") }
        return v
    }

    mutating func int(_ names: String..., in range: ClosedRange<Int> = 1...100_000_000) throws(TrainSimError) -> Int? {
        guard let o = take(names) else { return nil }
        guard let v = o.values.first else { throw TrainSimError(file: file, path: o.name, "needs a value") }
        guard let n = Int(v) else { throw TrainSimError(file: file, path: o.name, "\"\(v)\" is not a whole number") }
        guard range.contains(n) else { throw TrainSimError(file: file, path: o.name, "\(n) is out of range (\(range.lowerBound) to \(range.upperBound))") }
        return n
    }

    mutating func number(_ names: String..., in range: ClosedRange<Double>) throws(TrainSimError) -> Double? {
        guard let o = take(names) else { return nil }
        guard let v = o.values.first else { throw TrainSimError(file: file, path: o.name, "needs a value") }
        guard let n = Double(v), n.isFinite else { throw TrainSimError(file: file, path: o.name, "\"\(v)\" is not a number") }
        guard range.contains(n) else { throw TrainSimError(file: file, path: o.name, "\(JSONWriter.number(n)) is out of range (\(JSONWriter.number(range.lowerBound)) to \(JSONWriter.number(range.upperBound)))") }
        return n
    }

    /// Comma- or space-separated whole numbers (`--num-layer-list 17,20,22,21`).
    mutating func ints(_ names: String...) throws(TrainSimError) -> [Int]? {
        guard let o = take(names) else { return nil }
        let parts = o.values.flatMap { $0.split(separator: ",").map(String.init) }
        var out: [Int] = []
        for p in parts {
            guard let n = Int(p.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw TrainSimError(file: file, path: o.name, "\"\(p)\" is not a whole number")
            }
            out.append(n)
        }
        guard !out.isEmpty else { throw TrainSimError(file: file, path: o.name, "needs a value") }
        return out
    }

    /// Options nobody read, in order, one per name.
    public var unused: [Option] {
        var seen = Set<String>()
        return options.filter { !$0.used && seen.insert($0.name).inserted }
    }
}
