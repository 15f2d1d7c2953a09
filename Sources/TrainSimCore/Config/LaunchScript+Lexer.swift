/// The words of a bash launch script, before expansion: just enough of bash's grammar for the
/// scripts that start Megatron-LM and MindSpeed runs (variables, arrays over several lines,
/// quotes, comments, line continuations, `${VAR:-default}`, `$((...))`, redirections).
enum ScriptToken: Equatable {
    /// One shell word, made of parts that expand differently.
    case word([WordPart])
    /// `NAME=( ... )`: an array assignment, its elements as words.
    case array(name: String, elements: [[WordPart]])
    /// The end of a command: a newline, `;`, `&`, `&&`, `||` or `|`.
    case end
}

enum WordPart: Equatable {
    case literal(String, quoted: Bool)
    /// `$NAME`, `${NAME}`, `${NAME[@]}`, `${NAME:-default}`.
    case variable(String, quoted: Bool, all: Bool, fallback: String?)
    /// `$(( ... ))`: integer arithmetic over variables.
    case arithmetic(String)
    /// `$( ... )` or backquotes: a command trainsim does not run; expands to nothing.
    case command
}

struct ScriptLexer {
    private let s: [Character]
    private var i = 0

    init(_ text: String) { s = Array(text) }

    private var atEnd: Bool { i >= s.count }
    private func peek(_ k: Int = 0) -> Character? { i + k < s.count ? s[i + k] : nil }

    static func tokens(_ text: String) -> [ScriptToken] {
        var lexer = ScriptLexer(text)
        return lexer.all()
    }

    private mutating func all() -> [ScriptToken] {
        var out: [ScriptToken] = []
        while let t = next(insideArray: false) { out.append(t) }
        return out
    }

    /// The next token; inside an array, newlines separate words and `)` ends it (returns nil).
    private mutating func next(insideArray: Bool) -> ScriptToken? {
        while let c = peek() {
            switch c {
            case " ", "\t", "\r":
                i += 1
            case "\\" where peek(1) == "\n":
                i += 2
            case "\n", ";":
                i += 1
                if !insideArray { return .end }
            case "#":
                while let d = peek(), d != "\n" { i += 1 }
            case "&", "|":
                i += 1
                if peek() == c { i += 1 }
                if !insideArray { return .end }
            case ")":
                i += 1
                if insideArray { return nil }
            case "(":
                // A subshell or function body: its words are read as commands of their own.
                i += 1
            case ">", "<":
                skipRedirection()
            default:
                let parts = word()
                if parts.isEmpty { i += 1; continue }
                // `2>&1`, `1>log`: a file descriptor number before a redirection is not a word.
                if let r = peek(), r == ">" || r == "<", case let .literal(text, false) = parts[0], parts.count == 1,
                   text.allSatisfy(\.isNumber) {
                    skipRedirection()
                    continue
                }
                if peek() == "(", parts.count == 1, case let .literal(text, false) = parts[0], text.hasSuffix("="),
                   ScriptLexer.isName(String(text.dropLast())) {
                    i += 1
                    var elements: [[WordPart]] = []
                    while let t = next(insideArray: true) {
                        if case let .word(w) = t { elements.append(w) }
                    }
                    return .array(name: String(text.dropLast()), elements: elements)
                }
                return .word(parts)
            }
        }
        return nil
    }

    private mutating func skipRedirection() {
        while let c = peek(), c == ">" || c == "<" { i += 1 }
        if peek() == "&" {
            i += 1
            while let d = peek(), d.isNumber || d == "-" { i += 1 }
            return
        }
        while let c = peek(), c == " " || c == "\t" { i += 1 }
        _ = word()
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.first, f == "_" || f.isLetter else { return false }
        return s.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }

    /// One word up to unquoted whitespace or an operator.
    private mutating func word() -> [WordPart] {
        var parts: [WordPart] = []
        var lit = ""
        func flush(_ quoted: Bool = false) {
            if !lit.isEmpty || quoted { parts.append(.literal(lit, quoted: quoted)) }
            lit = ""
        }
        while let c = peek() {
            switch c {
            case " ", "\t", "\n", "\r", ";", "&", "|", ">", "<", ")":
                flush()
                return parts
            case "(":
                // `NAME=(`: the caller reads the array.
                flush()
                return parts
            case "\\":
                if peek(1) == "\n" { i += 2; continue }
                if let d = peek(1) { lit.append(d) }
                i += 2
            case "'":
                flush()
                i += 1
                var q = ""
                while let d = peek(), d != "'" { q.append(d); i += 1 }
                i += 1
                parts.append(.literal(q, quoted: true))
            case "\"":
                flush()
                i += 1
                parts.append(contentsOf: doubleQuoted())
            case "$":
                flush()
                parts.append(dollar(quoted: false))
            case "`":
                flush()
                i += 1
                while let d = peek(), d != "`" { i += 1 }
                i += 1
                parts.append(.command)
            default:
                lit.append(c)
                i += 1
            }
        }
        flush()
        return parts
    }

    private mutating func doubleQuoted() -> [WordPart] {
        var parts: [WordPart] = [.literal("", quoted: true)]
        var lit = ""
        while let c = peek(), c != "\"" {
            if c == "\\", let d = peek(1), "\"\\$`\n".contains(d) {
                if d != "\n" { lit.append(d) }
                i += 2
            } else if c == "$" {
                if !lit.isEmpty { parts.append(.literal(lit, quoted: true)); lit = "" }
                parts.append(dollar(quoted: true))
            } else if c == "`" {
                i += 1
                while let d = peek(), d != "`" { i += 1 }
                i += 1
                parts.append(.command)
            } else {
                lit.append(c)
                i += 1
            }
        }
        i += 1
        if !lit.isEmpty { parts.append(.literal(lit, quoted: true)) }
        // `"${A[@]}"` alone is as many words as A has elements, none for an empty array.
        if parts.count > 1, parts.contains(where: { if case .variable(_, _, true, _) = $0 { return true } else { return false } }) {
            parts.removeFirst()
        }
        return parts
    }

    /// Reads from a `$`.
    private mutating func dollar(quoted: Bool) -> WordPart {
        i += 1
        guard let c = peek() else { return .literal("$", quoted: quoted) }
        if c == "(" {
            if peek(1) == "(" {
                i += 2
                var depth = 0, expr = ""
                while let d = peek() {
                    if d == "(" { depth += 1 }
                    if d == ")" {
                        if depth == 0, peek(1) == ")" { i += 2; break }
                        depth -= 1
                    }
                    expr.append(d)
                    i += 1
                }
                return .arithmetic(expr)
            }
            var depth = 0
            while let d = peek() {
                i += 1
                if d == "(" { depth += 1 } else if d == ")" { depth -= 1; if depth == 0 { break } }
            }
            return .command
        }
        if c == "{" {
            i += 1
            var body = ""
            while let d = peek(), d != "}" { body.append(d); i += 1 }
            i += 1
            var name = body, fallback: String?, all = false
            if let r = body.range(of: ":-") ?? body.range(of: ":=") {
                name = String(body[..<r.lowerBound]); fallback = String(body[r.upperBound...])
            } else if let r = body.range(of: "-"), ScriptLexer.isName(String(body[..<r.lowerBound])) {
                name = String(body[..<r.lowerBound]); fallback = String(body[r.upperBound...])
            }
            if name.hasSuffix("[@]") || name.hasSuffix("[*]") { name = String(name.dropLast(3)); all = true }
            return .variable(name, quoted: quoted, all: all, fallback: fallback)
        }
        if c.isNumber || "@*#?$!-".contains(c) {
            i += 1
            return .variable(String(c), quoted: quoted, all: false, fallback: nil)
        }
        var name = ""
        while let d = peek(), d == "_" || d.isLetter || d.isNumber { name.append(d); i += 1 }
        if name.isEmpty { return .literal("$", quoted: quoted) }
        return .variable(name, quoted: quoted, all: false, fallback: nil)
    }
}
