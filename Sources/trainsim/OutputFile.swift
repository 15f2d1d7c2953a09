#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TrainSimCore

/// How trainsim writes a file named on its command line (`--output`, `--trace`, `--html`,
/// `calibrate --write`, a sweep's journal). What is at the path decides:
/// - nothing, or a regular file: the new content goes to a temporary file in the same folder,
///   which then replaces the path by rename, so a reader never sees half a report;
/// - a device, FIFO or terminal (`/dev/null`, a named pipe): it is opened and written as it is,
///   never replaced;
/// - a symbolic link: followed when it leads to such a device or FIFO (`/dev/stdout`); refused
///   when it leads to a regular file, a missing file or a folder, since renaming over the link
///   would replace the link and writing through it would change a file the user did not name;
/// - a folder: refused.
/// Every failure is one line naming the path and the system's reason (exit 2).
enum OutputFile {
    /// Writes `text` to `path` by the rules above.
    static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        switch try kind(path) {
        case .stream:
            let sink = try Sink(opening: path, flags: O_WRONLY | O_NOCTTY)
            defer { sink.close() }
            try sink.write(bytes)
        case let .regular(mode):
            try replace(path, mode: mode) { try $0.write(bytes) }
        }
    }

    /// Writes what `fill` produces, piece by piece, to `path` by the rules above, or to standard
    /// output when `path` is nil: a regular file is still replaced whole, by rename, at the end.
    static func stream(to path: String?, fill: (Sink) throws -> Void) throws {
        guard let path else { return try fill(Sink.standardOutput) }
        switch try kind(path) {
        case .stream:
            let sink = try Sink(opening: path, flags: O_WRONLY | O_NOCTTY)
            defer { sink.close() }
            try fill(sink)
        case let .regular(mode):
            try replace(path, mode: mode, fill: fill)
        }
    }

    /// A new, already unlinked file in the temporary folder, open for reading and writing: it
    /// disappears when closed, however the process ends.
    static func temporary() throws -> Sink {
        var template = Array((NSTemporaryDirectory() + "/trainsim-sweep.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(cString: template)
        guard fd >= 0 else { throw failure(path, "cannot write") }
        unlink(path)
        return Sink(fd: fd, path: path)
    }

    /// Refuses, before a long computation, a path that `write` would refuse at its end.
    static func check(_ path: String?) throws {
        if let path { _ = try kind(path) }
    }

    /// What may be written at a path.
    enum Kind {
        /// Nothing there (mode nil) or a regular file (its permission bits): replaced by rename.
        case regular(mode: mode_t?)
        /// A device, FIFO, socket or terminal, perhaps behind a symbolic link: written as it is.
        case stream
    }

    static func kind(_ path: String) throws -> Kind {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return .regular(mode: nil) }
            throw failure(path, "cannot write")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular(mode: st.st_mode & 0o7777)
        case S_IFDIR: throw CLIError.environment("\(path): is a folder, not a file")
        case S_IFLNK:
            var target = stat()
            if stat(path, &target) == 0, ![S_IFREG, S_IFDIR].contains(target.st_mode & S_IFMT) { return .stream }
            throw CLIError.badInput("\(path): is a symbolic link; trainsim replaces files whole and does not write through links to files (name the file itself)")
        default: return .stream
        }
    }

    /// Writes a new file beside `path` with `fill` and renames it over `path`; on any failure the
    /// temporary file is removed and `path` is left as it was.
    static func replace(_ path: String, mode: mode_t?, fill: (Sink) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure(path, "cannot write") }
        let temp = String(cString: template)
        let sink = Sink(fd: fd, path: path)
        do {
            // mkstemp makes the file 0600: give it the old file's mode, or what a new file gets.
            let umaskNow = umask(0); umask(umaskNow)
            _ = fchmod(fd, mode ?? (0o666 & ~umaskNow))
            try fill(sink)
            guard fsync(fd) == 0 else { throw failure(path, "cannot write") }
            sink.close()
            guard rename(temp, path) == 0 else { throw failure(path, "cannot write") }
        } catch {
            sink.close()
            unlink(temp)
            throw error
        }
    }

    /// One line: the path, what failed and the system's reason ("No space left on device").
    static func failure(_ path: String, _ what: String) -> CLIError {
        CLIError.environment("\(path): \(what) (\(String(cString: strerror(errno))))")
    }

    /// Opens a sweep's journal for streaming. A regular file is replaced by a new, empty one
    /// (by rename, as above), or, with `resume`, opened as it is to be read back (`existing`); a device
    /// or FIFO is written as it is (it cannot be resumed from).
    static func openJournal(_ path: String, resume: Bool) throws -> (sink: Sink, existing: Bool) {
        switch try kind(path) {
        case .stream:
            if resume { throw CLIError.badInput("\(path): is not a regular file; --resume reads back the file an interrupted sweep wrote") }
            return (try Sink(opening: path, flags: O_WRONLY | O_NOCTTY), false)
        case .regular(mode: nil):
            return (try Sink(opening: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW), false)
        case let .regular(mode):
            if resume { return (try Sink(opening: path, flags: O_RDWR | O_NOFOLLOW), true) }
            var kept: Sink?
            try replace(path, mode: mode) { sink in
                // The journal streams into the new file after the rename; keep it open.
                kept = Sink(fd: dup(sink.fd), path: path)
                guard kept!.fd >= 0 else { throw failure(path, "cannot write") }
            }
            return (kept!, false)
        }
    }

    /// An open file descriptor that writes everything or throws one line naming the path.
    final class Sink: @unchecked Sendable {
        let fd: Int32
        let path: String
        private let owned: Bool
        private var isOpen = true

        init(fd: Int32, path: String, owned: Bool = true) { self.fd = fd; self.path = path; self.owned = owned }

        convenience init(opening path: String, flags: Int32, mode: mode_t = 0o666) throws {
            let fd = posixOpen(path, flags | O_CLOEXEC, mode)
            guard fd >= 0 else { throw OutputFile.failure(path, "cannot write") }
            self.init(fd: fd, path: path)
        }

        /// Standard output, which a failed write (a full disk, a closed pipe) reports as one line.
        static let standardOutput = Sink(fd: 1, path: "standard output", owned: false)

        func write(_ bytes: [UInt8]) throws {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + done, bytes.count - done) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw OutputFile.failure(path, "cannot write") }
                done += n
            }
        }

        func write(_ text: String) throws { try write(Array(text.utf8)) }

        /// The next bytes from the current offset (up to 1 MiB), nil at the end.
        func readPiece() throws(TrainSimError) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw TrainSimError(file: path, "cannot read (\(String(cString: strerror(errno))))") }
                if n == 0 { return nil }
                buffer.removeLast(buffer.count - n)
                return buffer
            }
        }

        /// Writes the whole file, from its start, to `other`, a piece (`readPiece`) at a time (the
        /// sweep's CSV lines).
        func copyAll(to other: Sink) throws {
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw OutputFile.failure(path, "cannot read back") }
            while let piece = try readPiece() { try other.write(piece) }
        }

        /// Cuts the file at `offset` and moves to its end (a resumed journal drops its torn tail).
        func truncate(at offset: Int) throws {
            guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, 0, SEEK_END) >= 0 else { throw OutputFile.failure(path, "cannot write") }
        }

        func close() {
            if isOpen, owned { _ = posixClose(fd) }
            isOpen = false
        }

        deinit { close() }
    }
}

// The C calls, outside the types whose methods share their names.
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func posixRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }
private func posixClose(_ fd: Int32) -> Int32 { close(fd) }
