import Foundation

/// A Megatron-LM or MindSpeed launch script, read as bash would expand it, without running
/// anything: the arguments of the training program (`pretrain_gpt.py ...`), the launcher's own
/// (`torchrun --nnodes ...`) and the script's variables. A file that runs no `.py` program is a
/// plain argument file: every command that starts with an option is part of the arguments.
public struct LaunchScript: Sendable {
    /// The training program's arguments, expanded and split into words as bash would.
    public var arguments: [String] = []
    /// The launcher's arguments before the program (`--nnodes 4 --nproc_per_node 8`).
    public var launcherArguments: [String] = []
    /// The program run (`pretrain_gpt.py`), nil for a plain argument file.
    public var program: String?
    /// Variables as the script left them (`NNODES`, `GPUS_PER_NODE`, ...).
    public var variables: [String: String] = [:]
    /// The script names MindSpeed (`import mindspeed`, a MindSpeed-LLM path, the Ascend toolkit).
    public var mentionsMindSpeed = false

    public init(_ text: String) {
        var arrays: [String: [String]] = [:]
        var plain: [String] = []
        var command: [[WordPart]] = []
        func value(_ name: String) -> String? { variables[name] ?? arrays[name]?.joined(separator: " ") }

        func expand(_ w: [WordPart]) -> [String] {
            var fields: [String] = []
            var current: String?
            func add(_ text: String) { current = (current ?? "") + text }
            func split(_ text: String) {
                let pieces = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
                guard !pieces.isEmpty else { return }
                if let f = text.first, f == " " || f == "\t" || f == "\n", let c = current { fields.append(c); current = nil }
                for (k, p) in pieces.enumerated() {
                    if k > 0, let c = current { fields.append(c); current = nil }
                    add(p)
                }
                if let l = text.last, l == " " || l == "\t" || l == "\n", let c = current { fields.append(c); current = nil }
            }
            for part in w {
                switch part {
                case let .literal(text, _):
                    add(text)
                case let .variable(name, quoted, all, fallback):
                    if all {
                        // `"${A[@]}"`: one word per element, none for an empty or unset array.
                        let items = arrays[name] ?? variables[name].map { [$0] } ?? []
                        for (k, item) in items.enumerated() {
                            if quoted {
                                if k > 0, let c = current { fields.append(c); current = nil }
                                add(item)
                            } else {
                                split(" " + item + " ")
                            }
                        }
                        continue
                    }
                    var v = value(name) ?? ""
                    if v.isEmpty, let fallback { v = fallback }
                    if quoted { add(v) } else { split(v) }
                case let .arithmetic(expr):
                    add(Arithmetic.evaluate(expr, value).map(String.init) ?? "")
                case .command:
                    break
                }
            }
            if let c = current { fields.append(c) }
            return fields
        }

        func runCommand() {
            defer { command = [] }
            guard !command.isEmpty else { return }
            var words = command
            // Leading assignments (`NNODES=4`, `export X=1`, `X=1 Y=2 cmd`).
            if case let .literal(first, false)? = words.first?.first, ["export", "declare", "local", "readonly"].contains(first), words[0].count == 1 {
                words.removeFirst()
                while let f = words.first, case let .literal(flag, false)? = f.first, flag.hasPrefix("-") { words.removeFirst() }
            }
            while let w = words.first, let (name, rest) = Self.assignment(w) {
                variables[name] = expand(rest).joined(separator: " ")
                arrays[name] = nil
                words.removeFirst()
            }
            guard !words.isEmpty else { return }
            let expanded = words.flatMap(expand)
            if let p = expanded.firstIndex(where: { $0.hasSuffix(".py") }) {
                program = expanded[p]
                launcherArguments = Array(expanded[..<p])
                arguments = Array(expanded[(p + 1)...])
            } else if let f = expanded.first, f.hasPrefix("-") {
                plain += expanded
            }
        }

        let tokens = ScriptLexer.tokens(text)
        // Commands and values only, not comments: a Megatron block may say "MindSpeed" in a comment.
        mentionsMindSpeed = tokens.contains { token in
            let words: [[WordPart]]
            switch token {
            case let .word(w): words = [w]
            case let .array(name, elements): words = [[.literal(name, quoted: false)]] + elements
            case .end: words = []
            }
            return words.joined().contains { part in
                guard case let .literal(text, _) = part else { return false }
                let lower = text.lowercased()
                return ["mindspeed", "ascend-toolkit", "npus_per_node", "modellink"].contains { lower.contains($0) }
            }
        }
        for token in tokens {
            switch token {
            case let .word(w): command.append(w)
            case let .array(name, elements):
                runCommand()
                arrays[name] = elements.flatMap(expand)
                variables[name] = nil
            case .end: runCommand()
            }
        }
        runCommand()
        if program == nil {
            arguments = plain
            // A script that only builds argument variables (`GPT_ARGS="..."`) and runs nothing trainsim sees.
            if arguments.isEmpty {
                let names = Set(variables.keys).union(arrays.keys).filter { $0.hasSuffix("ARGS") }.sorted()
                arguments = names.flatMap { name in arrays[name] ?? expand([.variable(name, quoted: false, all: false, fallback: nil)]) }
            }
        }
        for (k, v) in arrays where variables[k] == nil { variables[k] = v.joined(separator: " ") }
    }

    /// `NAME=value` as its name and the parts after `=`.
    static func assignment(_ w: [WordPart]) -> (String, [WordPart])? {
        guard case let .literal(text, false)? = w.first, let eq = text.firstIndex(of: "="),
              ScriptLexer.isName(String(text[..<eq])) else { return nil }
        let after = String(text[text.index(after: eq)...])
        return (String(text[..<eq]), (after.isEmpty ? [] : [.literal(after, quoted: false)]) + w.dropFirst())
    }
}

/// `$(( ... ))`: integers, variables, + - * / % and parentheses.
enum Arithmetic {
    static func evaluate(_ expr: String, _ value: (String) -> String?) -> Int? {
        var tokens: [String] = []
        var s = Array(expr), i = 0
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "$" || c == "{" || c == "}" { i += 1; continue }
            if "+-*/%()".contains(c) { tokens.append(String(c)); i += 1; continue }
            var w = ""
            while i < s.count, s[i] == "_" || s[i].isLetter || s[i].isNumber { w.append(s[i]); i += 1 }
            if w.isEmpty { return nil }
            if w.first!.isNumber { tokens.append(w) } else {
                guard let v = value(w)?.trimmingCharacters(in: .whitespaces), Int(v) != nil else { return nil }
                tokens.append(v)
            }
        }
        s = []
        var k = 0, depth = 0
        func primary() -> Int? {
            guard k < tokens.count, depth < 64 else { return nil }
            let t = tokens[k]; k += 1
            depth += 1
            defer { depth -= 1 }
            if t == "(" { let v = sum(); k += 1; return v }
            if t == "-" { return primary().map { 0 &- $0 } }
            return Int(t)
        }
        func product() -> Int? {
            guard var v = primary() else { return nil }
            while k < tokens.count, ["*", "/", "%"].contains(tokens[k]) {
                let op = tokens[k]; k += 1
                guard let r = primary() else { return nil }
                if op == "*" { v = v &* r } else if r == 0 || (r == -1 && v == Int.min) { return nil } else { v = op == "/" ? v / r : v % r }
            }
            return v
        }
        func sum() -> Int? {
            guard var v = product() else { return nil }
            while k < tokens.count, ["+", "-"].contains(tokens[k]) {
                let op = tokens[k]; k += 1
                guard let r = product() else { return nil }
                v = op == "+" ? v &+ r : v &- r
            }
            return v
        }
        let v = sum()
        return k == tokens.count ? v : nil
    }
}
