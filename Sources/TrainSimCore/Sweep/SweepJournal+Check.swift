import Foundation

/// Each line of a sweep journal carries the fingerprint of the experiment that computed it
/// (`"experiment"`, see `ExperimentFingerprint`) and, as its last key, a check of its own bytes
/// (`"check"`: FNV-1a 64 of everything before `,"check":`). `--resume` keeps a line only when
/// both hold, so results of another model, or numbers edited by hand, are refused, not kept.
extension SweepJournal {
    static let checkKey = Array(",\"check\":\"".utf8)
    /// `,"check":"` + 16 hex digits + `"}`.
    static let checkLength = checkKey.count + 16 + 2

    /// A result line (`SweepPoint.jsonLine`) stamped with the experiment's fingerprint and its check.
    public static func seal(_ line: String, experiment: String) -> String {
        String(decoding: seal(bytes: Array(line.utf8), experiment: experiment), as: UTF8.self)
    }

    /// `seal` on a line's UTF-8 bytes (what a rank sends; a String's `count` would walk its
    /// characters, and the check hashes bytes). A line that is not an object is returned as it is.
    public static func seal(bytes line: [UInt8], experiment: String) -> [UInt8] {
        var body = line
        if body.last == UInt8(ascii: "\n") { body.removeLast() }
        guard body.last == UInt8(ascii: "}"), body.count > 2 else { return line }
        body.removeLast()
        body += ",\"experiment\":\"\(experiment)\"".utf8
        let check = FNV1a.hex(body)
        body += ",\"check\":\"\(check)\"}\n".utf8
        return body
    }

    /// What `--resume` reads of a line: the point, its status and reason, and the fingerprint; the
    /// report is checked for syntax and skipped (the line's text is what is kept and written).
    static let resumeProjection = JSONProjection(paths: ["index", "point", "status", "reason", "experiment"])

    /// As `resumeProjection`, with the report fields the tables and CSV read
    /// (`SweepOutput.projection`), for a resumed sweep that makes their lines from the points it reads.
    static let resumeWithReportProjection = JSONProjection(paths: SweepOutput.projectionPaths + ["experiment"])

    /// The point on one complete journal line (without its newline), after checking the line's
    /// check and that this experiment wrote it; without its report (`resumeProjection`), or with
    /// the parts of it the tables and CSV read (`reports`).
    static func point(_ line: ArraySlice<UInt8>, experiment: String, file: String, lineNumber: Int, reports: Bool = false) throws(TrainSimError) -> SweepPoint {
        let at = "line \(lineNumber)"
        let n = line.count
        guard n > checkLength, line.suffix(2).elementsEqual(Array("\"}".utf8)),
              line.dropLast(18).suffix(checkKey.count).elementsEqual(checkKey) else {
            throw TrainSimError(file: file, path: at, "not a sweep result with a check; was the file written by another program or an older trainsim? Remove it to start over")
        }
        let body = line.prefix(n - checkLength)
        let check = String(decoding: line.dropLast(2).suffix(16), as: UTF8.self)
        guard FNV1a.hex(body) == check else {
            throw TrainSimError(file: file, path: at, "the line was changed after trainsim wrote it (its check does not match); remove the file to start over")
        }
        let v: JSONValue
        do { v = try JSONParser.parse(bytes: Array(line), keeping: reports ? resumeWithReportProjection : resumeProjection) } catch {
            throw TrainSimError(file: file, path: at, "not a JSON object")
        }
        guard case let .string(written)? = v["experiment"] else {
            throw TrainSimError(file: file, path: at, "not a sweep result with an experiment fingerprint; remove the file to start over")
        }
        guard written == experiment else {
            throw TrainSimError(file: file, path: at, "written for another experiment (fingerprint \(written); this experiment and the data files it reads give \(experiment)): an input changed since; remove the file to start over, or resume with the same inputs (and the same --skip-out-of-memory setting)")
        }
        do { return try SweepPoint(json: v) } catch { throw TrainSimError(file: file, path: at, error.message) }
    }
}
