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
    /// Share of the backward TP collectives of column-parallel linears that the stack hides
    /// behind their dgrad and wgrad GEMMs (Megatron's asynchronous tensor-parallel
    /// communication); 0 when the stack runs them synchronously.
    public var tpBackwardOverlap: Double = 0

    public init(id: String, name: String, efficiencyFactor: Double, source: String?, tpBackwardOverlap: Double = 0) {
        self.id = id; self.name = name; self.efficiencyFactor = efficiencyFactor; self.source = source
        self.tpBackwardOverlap = tpBackwardOverlap
    }

    /// Stands in until the experiment's stack file is read (`Topologies/frameworks/megatron.json`
    /// when the experiment names none).
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
        let o = try r.sourced("tpBackwardOverlap", in: 0...1)
        try r.finish()
        return FrameworkSpec(id: url.deletingPathExtension().lastPathComponent, name: name, efficiencyFactor: f.value,
                             source: f.source.map { $0 + (f.confidence.map { " [\($0)]" } ?? "") },
                             tpBackwardOverlap: o?.value ?? 0)
    }
}
