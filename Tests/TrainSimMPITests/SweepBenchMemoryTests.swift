import Foundation
import XCTest
@testable import TrainSimMPI

/// `trainsim bench sweep` reports a sweep's peak memory: the child's own, not the bench process's
/// (wait4's ru_maxrss carries the spawning process's high-water mark across exec).
final class SweepBenchMemoryTests: XCTestCase {
    func testHighWaterMarkIsReadFromProc() throws {
        let own = try XCTUnwrap(SweepBench.highWaterKilobytes(getpid()))
        XCTAssertGreaterThan(own, 1000)
        XCTAssertNil(SweepBench.highWaterKilobytes(-1))
    }

    func testPeakMemoryIsTheChildsNotTheParents() throws {
        // Hold 256 MB here, then measure a shell that sleeps: its peak is a few MB.
        let held = UnsafeMutableRawPointer.allocate(byteCount: 256 << 20, alignment: 4096)
        defer { held.deallocate() }
        memset(held, 1, 256 << 20)
        let parent = try XCTUnwrap(SweepBench.highWaterKilobytes(getpid()))
        let r = try XCTUnwrap(SweepBench.peakMemory("/bin/sh", ["-c", "sleep 0.2"]))
        XCTAssertGreaterThan(r.kilobytes, 0)
        XCTAssertLessThan(r.kilobytes, 64 << 10)
        XCTAssertLessThan(r.kilobytes, parent / 4)
    }
}
