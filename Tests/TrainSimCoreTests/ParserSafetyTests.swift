import Foundation
import XCTest
@testable import TrainSimCore

/// The JSON reader on large and hostile input: duplicate checks that stay linear (80,000 keys,
/// 40,000 phases, each well under a second), strict `\u` escapes and surrogates, and error
/// lines that never carry a raw control character.
final class ParserSafetyTests: XCTestCase {
    static let base = #"{"name": "t", "model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256}, "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 8}"#

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as TrainSimError { return e.description } catch let e as JSONSyntaxError {
            return "line \(e.line), column \(e.column): \(e.message)"
        } catch { return "\(error)" }
        return "no error"
    }

    /// A sweep object of 80,000 keys (about 1.3 MB), and the same with the first key repeated at the end.
    static let eightyThousandKeys: (String, String) = {
        let body = base + #", "sweep": {"# + (0..<80_000).map { "\"data.k\($0)\": [0]" }.joined(separator: ", ")
        return (body + "}}", body + #", "data.k0": [1]}}"#)
    }()

    func testEightyThousandKeysDecodeAndADuplicateAtTheEndIsFound() throws {
        let (text, dup) = Self.eightyThousandKeys
        XCTAssertGreaterThan(text.utf8.count, 1_200_000)
        let e = try Experiment.decode(try JSONParser.parse(text), file: "t.json", folder: nil)
        XCTAssertEqual(e.sweep.count, 80_000)
        XCTAssertEqual(e.sweep.last?.path, "data.k79999")
        let got = message { _ = try JSONParser.parse(dup) }
        let column = dup.utf8.count - #""data.k0": [1]}}"#.utf8.count + 1
        XCTAssertEqual(got, "line 1, column \(column): duplicate key \"data.k0\"")
    }

    /// A data.phases list of 40,000 phases named p0 ... p39999, and the same with the last named p0.
    static let fortyThousandPhases: (String, String) = {
        let head = base + #", "data": {"phases": ["#
        let phases = (0..<39_999).map { #"{"name": "p\#($0)", "tokens": 1e6}"# }.joined(separator: ", ")
        return (head + phases + #", {"name": "p39999", "tokens": 1e6}]}}"#, head + phases + #", {"name": "p0", "tokens": 1e6}]}}"#)
    }()

    func testFortyThousandPhaseNamesDecodeAndADuplicateAtTheEndIsFound() throws {
        let (text, dup) = Self.fortyThousandPhases
        let d = try DataSpec.decode(try Experiment.decode(try JSONParser.parse(text), file: "t.json", folder: nil))
        XCTAssertEqual(d.phases.count, 40_000)
        XCTAssertEqual(d.phases.last?.name, "p39999")
        let bad = try Experiment.decode(try JSONParser.parse(dup), file: "t.json", folder: nil)
        XCTAssertEqual(message { _ = try DataSpec.decode(bad) }, #"t.json: data.phases[39999].name: "p0" names two phases"#)
    }

    func testUnicodeEscapesAreStrict() throws {
        XCTAssertEqual(try JSONParser.parse(#""\ud83d\ude00 \u00e9 \u4E2D""#), .string("😀 é 中"))
        for (text, expected) in [
            (#""\u+123""#, #"line 1, column 2: bad \u escape: \u must be followed by four hex digits"#),
            (#""\u-123""#, #"bad \u escape"#),
            (#""\u12""#, #"bad \u escape"#),
            (#""\u 123""#, #"bad \u escape"#),
            (#""ab\ud800""#, #"line 1, column 4: lone high surrogate \uD800 in a string (it must be followed by a low surrogate \uDC00-\uDFFF)"#),
            (#""\ud83dx""#, "lone high surrogate \\uD83D"),
            (#""\ud83d\u0041""#, "lone high surrogate \\uD83D"),
            (#""\udc00""#, #"line 1, column 2: lone low surrogate \uDC00 in a string (it must follow a high surrogate \uD800-\uDBFF)"#),
        ] {
            let got = message { _ = try JSONParser.parse(text) }
            XCTAssertTrue(got.contains(expected), "\(text): \(got)")
        }
    }

    func testErrorLinesEscapeControlCharacters() throws {
        XCTAssertEqual(escapingControlCharacters("a\tb\nc\r\u{1b}[2J\u{7f}\u{9b}\u{202e}é中"), #"a\tb\nc\r\u{1b}[2J\u{7f}\u{9b}\u{202e}é中"#)
        // A key written with JSON escapes comes back in the error escaped, on one line.
        let text = Self.base.replacingOccurrences(of: #""tp": 8"#, with: #""tp": 8, "tp\u001b[31m\n": 1"#) + "}"
        let got = message { _ = try Experiment.decode(try JSONParser.parse(text), file: "t.json", folder: nil) }
        XCTAssertEqual(got, #"t.json: parallelism.tp\u{1b}[31m\n: unknown key; did you mean "tp"?"#)
        // A raw control byte outside a string is quoted escaped; a multi-byte character whole.
        let raw = TrainSimError(file: "t.json", "line 1, column 1: unexpected character '\u{1b}'")
        XCTAssertEqual(raw.description, #"t.json: line 1, column 1: unexpected character '\u{1b}'"#)
        XCTAssertTrue(message { _ = try JSONParser.parse("\u{1b}") }.hasSuffix("unexpected character '\u{1b}'"))
        XCTAssertTrue(message { _ = try JSONParser.parse("é") }.hasSuffix("unexpected character 'é'"))
    }
}

extension ParserSafetyTests {
    /// Each plan factor is in range but their product is not an Int: an error, not a trap.
    func testAPlanWhoseProductOverflowsIsAnError() {
        let text = Self.base.replacingOccurrences(of: #""tp": 8"#, with: #""tp": 65536, "cp": 65536, "pp": 65536, "dp": 10000000"#) + "}"
        let got = message { _ = try Experiment.decode(try JSONParser.parse(text), file: "t.json", folder: nil) }
        XCTAssertTrue(got.hasPrefix("t.json: parallelism.dp: tp x cp x pp x dp = 65536 x 65536 x 65536 x 10000000 = "), got)
        XCTAssertTrue(got.hasSuffix(", but cluster.devices is 64"), got)
    }
}
