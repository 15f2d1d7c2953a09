import Foundation
import TrainSimCore

/// A one-line progress report on stderr (points done, rate, time left), redrawn at most five
/// times a second; shown only on rank 0 and only when stderr is a terminal.
struct Progress {
    let total: Int
    let what: String
    let enabled: Bool
    let start = Date()
    var done = 0
    /// The first line is drawn after 0.2 s, when the rate means something.
    var lastDraw = Date()

    init(total: Int, what: String) {
        self.total = total
        self.what = what
        enabled = Ranks.isRoot && isatty(2) != 0 && total > 0
    }

    mutating func advance(_ n: Int = 1) {
        done += n
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.2 && done < total { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Double(total - done) / rate : 0
        let line = "\(what): \(done)/\(total), \(Fmt.num(rate)) per second, \(Int(left.rounded(.up))) s left"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
