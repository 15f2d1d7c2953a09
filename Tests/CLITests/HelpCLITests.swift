import Foundation
import XCTest

/// Help and version: every verb's --help shows at least one example command line, and
/// --version prints the version written once, in Sources/trainsim/Version.swift.
final class HelpCLITests: XCTestCase {
    /// The verbs `trainsim --help` lists (its SUBCOMMANDS section: a name at the start of an entry).
    func verbs(_ help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first else { return nil }
            return word == "See" ? nil : String(word)
        }
    }

    func testEveryVerbsHelpHasAnExample() throws {
        let root = try CLI.trainsim(["--help"])
        XCTAssertEqual(root.code, 0, root.stderr)
        let verbs = verbs(root.stdout)
        for v in ["run", "sweep", "search", "compare", "validate", "topo", "bench", "calibrate", "import"] {
            XCTAssertTrue(verbs.contains(v), "\(v) in \(verbs)")
        }
        XCTAssertTrue(root.stdout.contains("Example"), root.stdout)
        for verb in verbs {
            let r = try CLI.trainsim([verb, "--help"])
            XCTAssertEqual(r.code, 0, "\(verb): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("Example"), "\(verb) --help has no example:\n\(r.stdout)")
            let lines = r.stdout.split(separator: "\n").map { $0.drop { $0 == " " } }
            XCTAssertTrue(lines.contains { $0.hasPrefix("trainsim \(verb)") }, "\(verb) --help has no line starting with \"trainsim \(verb)\":\n\(r.stdout)")
        }
        let search = try CLI.trainsim(["search", "--help"])
        XCTAssertTrue(search.stdout.contains("--benchmark"), search.stdout)
        XCTAssertTrue(search.stdout.contains("--emit"), search.stdout)
        let megatron = try CLI.trainsim(["import", "megatron", "--help"])
        XCTAssertTrue(megatron.stdout.contains("trainsim import megatron Experiments/launch/"), megatron.stdout)
    }

    /// A verb's help reads as paragraphs at a terminal's 80 columns: no line of its overview or
    /// discussion stops short (under 50 columns) while the next line goes on with the same sentence
    /// (a lower-case word, or a bracket, brace, quote or dot), which is what a line break written
    /// into the help's source, rather than the parser's wrapping, looks like. A row of a list of
    /// names (`timeline  one step's timeline...` in bench's help) starts a line of its own.
    func testEveryVerbsHelpWrapsAsParagraphsAt80Columns() throws {
        let root = try CLI.trainsim(["--help"])
        for verb in [""] + verbs(root.stdout) + ["import megatron"] {
            let r = try CLI.trainsim(verb.split(separator: " ").map(String.init) + ["--help"], env: ["COLUMNS": "80"])
            XCTAssertEqual(r.code, 0, "\(verb): \(r.stderr)")
            let text = r.stdout.components(separatedBy: "\nExamples:")[0].components(separatedBy: "\nUSAGE:")[0]
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (a, b) in zip(lines, lines.dropFirst()) where !a.isEmpty && a.count < 50 {
                let name = b.prefix { $0.isLowercase }
                let listRow = !name.isEmpty && b.dropFirst(name.count).hasPrefix("  ")
                guard let c = b.first, c.isLowercase || "({\".`".contains(c), !listRow else { continue }
                XCTFail("\(verb) --help breaks a sentence after \"\(a)\", going on with \"\(b)\"")
            }
        }
    }

    func testVersionPrintsTheOneVersion() throws {
        let source = try String(contentsOfFile: CLI.packageRoot + "/Sources/trainsim/Version.swift", encoding: .utf8)
        guard let line = source.split(separator: "\n").first(where: { $0.contains("static let number = \"") }) else {
            return XCTFail("Version.swift has no `static let number`")
        }
        let number = line.split(separator: "\"")[1]
        XCTAssertFalse(number.isEmpty)
        for args in [["--version"], ["search", "--version"]] {
            let r = try CLI.trainsim(args)
            XCTAssertEqual(r.code, 0, r.stderr)
            XCTAssertEqual(r.stdout, "trainsim \(number)\n", "\(args)")
            XCTAssertEqual(r.stderr, "")
        }
    }
}
