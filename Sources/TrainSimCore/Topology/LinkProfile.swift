import Foundation

/// A link profile written by `mpirun -np N trainsim calibrate --write FILE`: what one tier's links
/// achieved on a real host. A Topologies/ file names it as `linkProfile`, or an experiment as
/// `cluster.linkProfile` (which wins); every run that names it uses the measured figures in place
/// of the design's for that tier:
///
/// - `tier`: the tier the ranks talked over: `scale-up` when every rank ran on one host (the
///   scale-up domain: NVLink, HCCS, or shared memory on a plain host), `scale-out` when they ran
///   on several (the fabric's NICs). A profile without `tier` (written before it was recorded)
///   is taken as `scale-up` unless it says it spanned several `hosts`.
/// - `pointToPoint.bandwidthGBps`: the achieved one-way bandwidth of one device's link. It
///   replaces the tier's achieved bandwidth (nominal x efficiency): the efficiency becomes
///   measured / nominal, or the nominal figure the measured one when the link did better.
///   In a full mesh it is one of the device's domain - 1 links.
/// - `pointToPoint.alphaUs`: the one-way latency of a message. It replaces the scale-up
///   latency, or the fabric's base latency (less the first tier's switch latency both ways, so a
///   message under one leaf takes the measured time).
public struct LinkProfile: Sendable, Equatable {
    public enum Tier: String, Sendable, CaseIterable { case scaleUp = "scale-up", scaleOut = "scale-out" }

    public var tier: Tier
    public var bandwidthGBps: Double
    public var latencyUs: Double
    /// Where it came from, for the report's sources ("host.json: 2 ranks on node17").
    public var origin: String

    public init(tier: Tier, bandwidthGBps: Double, latencyUs: Double, origin: String) {
        self.tier = tier; self.bandwidthGBps = bandwidthGBps; self.latencyUs = latencyUs; self.origin = origin
    }

    /// Finds and reads the profile `reference` names (a path, relative to the referring file's
    /// folder, then the current folder). A missing or unreadable profile is an error at `keyPath`.
    public static func load(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> LinkProfile {
        try DecodedFiles.memo("linkProfile", [reference, relativeTo?.path, referencedFrom, keyPath]) { () throws(TrainSimError) -> LinkProfile in
            try loadFile(reference, relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        }
    }

    static func loadFile(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> LinkProfile {
        guard let url = DataLocator.resolve(reference, folder: "Topologies", relativeTo: relativeTo) else {
            throw TrainSimError(file: referencedFrom, path: keyPath, "link profile \"\(reference)\" not found (write one with: mpirun -np 2 trainsim calibrate --write \(reference))")
        }
        let json = try DataLocator.readJSON(url, displayName: reference)
        return try decode(json, file: reference)
    }

    /// Reads the figures a profile measured; the rest of it (fits, the nccl-tests table) is for people.
    public static func decode(_ json: JSONValue, file: String) throws(TrainSimError) -> LinkProfile {
        let r = try ObjectReader(json, path: "", file: file)
        guard let version = try r.int("schemaVersion", in: 0...1000) else { throw r.error("schemaVersion", "missing required key; is this a profile written by trainsim calibrate --write?") }
        guard version == 1 else { throw r.error("schemaVersion", "\(version) is not supported (expected 1)") }
        let hosts = try r.int("hosts", in: 1...10_000_000) ?? 1
        let tierName = try r.choice("tier", Tier.allCases.map(\.rawValue)) ?? (hosts > 1 ? "scale-out" : "scale-up")
        let p = try r.requiredObject("pointToPoint")
        let bw = try p.requiredNumber("bandwidthGBps", in: 0...1e6)
        let alpha = try p.requiredNumber("alphaUs", in: 0...1e7)
        guard bw > 0 else {
            throw p.error("bandwidthGBps", "0: the profile measured no link (calibrate ran on one rank); run it on 2 or more ranks")
        }
        let ranks = try r.int("ranks", in: 0...10_000_000)
        let host = try r.string("host")
        var origin = file
        if let ranks { origin += ": \(ranks) ranks" + (host.map { " on \($0)" } ?? "") }
        return LinkProfile(tier: Tier(rawValue: tierName)!, bandwidthGBps: bw, latencyUs: alpha, origin: origin)
    }
}

extension TopologySpec {
    /// The design with the tier the profile measured set to the measured bandwidth and latency.
    public func applying(_ profile: LinkProfile) -> TopologySpec {
        var s = self
        let note = "measured: linkProfile \(profile.origin)"
        switch profile.tier {
        case .scaleUp:
            var su = s.node.scaleUp
            // A full mesh's linkGBps is the device's total over its domain - 1 links; a profile measures one.
            let links = su.kind == "mesh" ? Double(max(1, su.domainDevices - 1)) : 1
            let achieved = profile.bandwidthGBps * links
            if achieved <= su.linkGBps { su.efficiency = achieved / su.linkGBps } else { su.linkGBps = achieved; su.efficiency = 1 }
            su.latencyUs = profile.latencyUs
            s.node.scaleUp = su
            for k in ["linkGBps", "efficiency", "latencyUs"] { s.sources["node.scaleUp." + k] = note }
        case .scaleOut:
            // A device's achieved share of its node's NICs becomes the measured bandwidth.
            let nics = Double(s.node.nicsPerNode), dpn = Double(s.node.devicesPerNode)
            let nominalPerDevice = nics * s.node.nicGBps / dpn
            if profile.bandwidthGBps <= nominalPerDevice {
                s.fabric.efficiency = profile.bandwidthGBps / nominalPerDevice
            } else {
                s.node.nicGBps = profile.bandwidthGBps * dpn / nics
                s.fabric.efficiency = 1
            }
            s.fabric.baseLatencyUs = max(0, profile.latencyUs - 2 * (s.fabric.tiers.first?.latencyUs ?? 0))
            for k in ["node.nicGBps", "fabric.efficiency", "fabric.baseLatencyUs"] { s.sources[k] = note }
        }
        s.linkProfile = profile.origin
        return s
    }
}
