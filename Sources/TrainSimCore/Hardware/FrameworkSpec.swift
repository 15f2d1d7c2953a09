import Foundation

/// The training software stack (Megatron-LM, MindSpeed, InternLM, ...): how much of the device's
/// calibrated kernel efficiency it reaches. Device curves are calibrated on one reference stack
/// per device family (Megatron-LM on NVIDIA, MindSpeed on Ascend), whose factor is 1; another
/// stack's factor comes from its own published runs. Read from `Topologies/frameworks/ID.json`.
public struct FrameworkSpec: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Multiplies the device's GEMM and attention efficiency.
    public var efficiencyFactor: Double
    public var source: String?

    public static let reference = FrameworkSpec(id: "megatron", name: "Megatron-LM (reference)", efficiencyFactor: 1, source: nil)

    public static func load(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> FrameworkSpec {
        let url = try DataLocator.locate(reference, kind: "framework", subfolder: "frameworks", folder: "Topologies/frameworks",
                                         relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        let json = try DataLocator.readJSON(url, displayName: url.lastPathComponent)
        let r = try ObjectReader(json, path: "", file: url.lastPathComponent)
        _ = try r.int("schemaVersion", in: 1...1)
        let name = try r.requiredString("name")
        _ = try r.string("description")
        let f = try r.requiredSourced("efficiencyFactor", in: 0.1...2, positive: true)
        try r.finish()
        return FrameworkSpec(id: url.deletingPathExtension().lastPathComponent, name: name, efficiencyFactor: f.value,
                             source: f.source.map { $0 + (f.confidence.map { " [\($0)]" } ?? "") })
    }
}
