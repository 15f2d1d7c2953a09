import Foundation
import TrainSimCore

/// A one-line progress report (points done, rate, time left), redrawn at most five times a
/// second; shown only on rank 0 and only when its stderr is a terminal. Under mpirun, rank 0's
/// stderr is a pipe to mpirun, which copies it to its own: the line is then drawn on mpirun's
/// stderr when that is a terminal (``ProgressTerminal``), and not at all when it is a file or pipe.
struct Progress {
    let total: Int
    let what: String
    /// Where the line is drawn, if anywhere.
    let terminal: Int32?
    let start = Date()
    var done = 0
    /// The first line is drawn after 0.2 s, when the rate means something.
    var lastDraw = Date()

    init(total: Int, what: String) {
        self.total = total
        self.what = what
        terminal = Ranks.isRoot && total > 0 ? ProgressTerminal.find(underMPI: Ranks.mpi != nil) : nil
    }

    mutating func advance(_ n: Int = 1) {
        done += n
        guard let terminal else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.2 && done < total { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Double(total - done) / rate : 0
        let line = "\(what): \(done)/\(total), \(Fmt.num(rate)) per second, \(Int(left.rounded(.up))) s left"
        ProgressTerminal.write(terminal, "\r\u{1B}[K" + line)
    }

    func finish() {
        guard let terminal else { return }
        ProgressTerminal.write(terminal, "\r\u{1B}[K")
        if terminal != 2 { close(terminal) }
    }
}

/// Finds the terminal a progress line belongs on.
enum ProgressTerminal {
    /// stderr (2) when it is a terminal. Under mpirun, rank 0's stderr is a pipe: the launcher
    /// (mpirun, mpiexec, orterun or prterun, found among this process's ancestors) is asked
    /// instead, and when its stderr is a terminal that terminal is opened for writing.
    static func find(underMPI: Bool) -> Int32? {
        if isatty(2) != 0 { return 2 }
        guard underMPI else { return nil }
        var pid = getppid()
        for _ in 0..<6 where pid > 1 {
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if ["mpirun", "mpiexec", "orterun", "prterun"].contains(comm) {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2"),
                      target.hasPrefix("/dev/pts/") || target.hasPrefix("/dev/tty") else { return nil }
                let fd = open(target, O_WRONLY | O_NOCTTY)
                guard fd >= 0 else { return nil }
                if isatty(fd) != 0 { return fd }
                close(fd)
                return nil
            }
            pid = parent(of: pid)
        }
        return nil
    }

    /// The parent of `pid`, from /proc/PID/stat (0 when it cannot be read).
    static func parent(of pid: pid_t) -> pid_t {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) ?? 0 : 0
    }

    static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }
}
