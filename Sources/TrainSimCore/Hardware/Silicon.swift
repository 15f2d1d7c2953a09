import Foundation

/// One chip's compute description (`Topologies/devices/silicon/NAME.json`): dense peaks by
/// precision and the achieved-efficiency data, shared by every part made of that chip (A100
/// 40GB, A100 80GB and A800 are one GA100; H100, H800 and H200 one GH100). Curves fitted on
/// calibration rows name those rows in their source.
enum Silicon {
    /// Checks a silicon file and returns its `peakTFLOPs` and `efficiency` entries, to be read as
    /// part of a device file.
    static func compute(_ json: JSONValue, file: String) throws(TrainSimError) -> [(String, JSONValue)] {
        let r = try ObjectReader(json, path: "", file: file)
        _ = try r.int("schemaVersion", in: 1...1)
        _ = try r.requiredString("name")
        _ = try r.string("description")
        _ = try r.list("parts")
        guard let peaks = r.raw("peakTFLOPs") else { throw r.error("peakTFLOPs", "missing required key") }
        guard let eff = r.raw("efficiency") else { throw r.error("efficiency", "missing required key") }
        try r.finish()
        return [("peakTFLOPs", peaks), ("efficiency", eff)]
    }
}
