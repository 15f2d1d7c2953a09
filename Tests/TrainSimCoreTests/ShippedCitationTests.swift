import Foundation
import XCTest

/// What trainsim ships cites primary sources (papers, datasheets, repository files), never the
/// project's own research notes, which users do not have (DESIGN: "Users do not have shared/").
/// Covered: README.md, every file under Topologies/ (devices and silicon included), Experiments/,
/// Tests/Calibration/ and the sources of TrainSimCore.
final class ShippedCitationTests: XCTestCase {
    static let noteNames = ["hardware.md", "calibration-runs", "models.md", "frameworks.md", "shared/reference", "reference/"]
    static let covered = ["README.md", "Topologies", "Experiments", "Tests/Calibration", "Sources/TrainSimCore"]
    static let notCovered: [String] = []

    /// Every file under `covered`, as paths relative to the package root.
    static func shippedFiles() -> [String] {
        let root = SweepPlanTests.root, fm = FileManager.default
        var out: [String] = []
        for entry in covered {
            let url = root.appendingPathComponent(entry)
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isFolder) else { continue }
            guard isFolder.boolValue else { out.append(entry); continue }
            for case let file as URL in fm.enumerator(at: url, includingPropertiesForKeys: nil) ?? FileManager.DirectoryEnumerator() {
                let relative = String(file.path.dropFirst(root.path.count + 1))
                guard !notCovered.contains(where: { relative.hasPrefix($0 + "/") }),
                      fm.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                out.append(relative)
            }
        }
        return out.sorted()
    }

    func testShippedFilesCiteNoResearchNotes() throws {
        let files = Self.shippedFiles()
        XCTAssertTrue(files.contains("README.md"))
        XCTAssertTrue(files.contains("Topologies/h800-ib.json"))
        XCTAssertTrue(files.contains("Topologies/run/defaults.json"))
        XCTAssertTrue(files.contains { $0.hasPrefix("Topologies/frameworks/") })
        XCTAssertTrue(files.contains("Topologies/devices/silicon/gh100.json"))
        XCTAssertTrue(files.contains("Tests/Calibration/cases-2.json"))
        var offences: [String] = []
        for path in files {
            guard let text = try? String(contentsOf: SweepPlanTests.root.appendingPathComponent(path), encoding: .utf8) else { continue }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for name in Self.noteNames where line.contains(name) {
                    offences.append("\(path):\(n + 1): cites \"\(name)\"")
                }
            }
        }
        XCTAssertEqual(offences, [], "cite the paper, datasheet or repository file itself:\n" + offences.joined(separator: "\n"))
    }
}
