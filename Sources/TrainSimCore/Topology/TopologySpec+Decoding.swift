import Foundation

extension TopologySpec {
    /// Loads a topology by preset name ("h800-ib") or path, resolved as DESIGN.md says.
    public static func load(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> TopologySpec {
        try DecodedFiles.memo("topology", [reference, relativeTo?.path, referencedFrom, keyPath]) { () throws(TrainSimError) -> TopologySpec in
            try loadFile(reference, relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        }
    }

    static func loadFile(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> TopologySpec {
        let url = try DataLocator.locate(reference, kind: "topology", subfolder: nil, folder: "Topologies",
                                         relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        // Errors inside the file name the reference as the experiment wrote it, and its key.
        do {
            let json = try DataLocator.readJSON(url, displayName: url.path)
            return try decode(json, id: url.deletingPathExtension().lastPathComponent, file: url.path,
                              folder: url.deletingLastPathComponent())
        } catch {
            throw error.referenced(as: reference, innerFile: url.path, from: referencedFrom, keyPath: keyPath)
        }
    }

    public static func decode(_ json: JSONValue, id: String, file: String?, folder: URL?) throws(TrainSimError) -> TopologySpec {
        let r = try ObjectReader(json, path: "", file: file)
        _ = try r.int("schemaVersion", in: 1...1)
        let name = try r.string("name") ?? id
        let description = try r.string("description") ?? ""
        var sources: [String: String] = [:]
        func note(_ k: String, _ s: Sourced) -> Double {
            if let src = s.source { sources[k] = src + (s.confidence.map { " [\($0)]" } ?? "") }
            return s.value
        }
        let accel = try r.requiredString("accelerator")
        let device = try DeviceSpec.load(accel, relativeTo: folder, referencedFrom: file, keyPath: "accelerator")

        let n = try r.requiredObject("node")
        let dpn = try n.requiredInt("devicesPerNode", in: 1...1024)
        let su = try n.requiredObject("scaleUp")
        let suKind = try su.choice("kind", ["switch", "mesh", "supernode", "none"]) ?? "switch"
        let domain = try su.int("domainDevices", in: 1...1_000_000) ?? dpn
        if domain % dpn != 0 && dpn % domain != 0 {
            throw su.error("domainDevices", "must be a multiple or a divisor of node.devicesPerNode (\(dpn)), found \(domain)")
        }
        let scaleUp = ScaleUpSpec(
            kind: suKind, domainDevices: domain,
            linkGBps: note("node.scaleUp.linkGBps", try su.requiredSourced("linkGBps", in: 0.1...1e5, positive: true)),
            efficiency: note("node.scaleUp.efficiency", try su.requiredSourced("efficiency", in: 0.01...1, positive: true)),
            latencyUs: note("node.scaleUp.latencyUs", try su.requiredSourced("latencyUs", in: 0...1e4)),
            inNetworkReduction: try su.bool("inNetworkReduction") ?? false)
        try su.finish()
        let node = NodeSpec(
            devicesPerNode: dpn, scaleUp: scaleUp,
            nicsPerNode: try n.requiredInt("nicsPerNode", in: 1...1024),
            nicGBps: note("node.nicGBps", try n.requiredSourced("nicGBps", in: 0.1...1e5, positive: true)),
            hostPowerWatts: note("node.hostPowerWatts", try n.requiredSourced("hostPowerWatts", in: 0...1e6)))
        try n.finish()

        let f = try r.requiredObject("fabric")
        let kind = try f.choice("kind", ["fat-tree", "torus", "dragonfly"]) ?? "fat-tree"
        var tiers: [FabricTier] = []
        if let items = try f.list("tiers") {
            for (i, it) in items.enumerated() {
                let t = try ObjectReader(it, path: f.keyPath("tiers[\(i)]"), file: file)
                let tierName = try t.string("name") ?? "tier\(i + 1)"
                // Reports key exposed time by tier name: names must differ from each other and from the scale-up domain.
                if tierName == "scale-up" || tiers.contains(where: { $0.name == tierName }) || tierName == kind {
                    throw t.error("name", "\"\(tierName)\" is already the name of another level; tier names must be distinct and not \"scale-up\" or \"\(kind)\"")
                }
                tiers.append(FabricTier(
                    name: tierName,
                    switchRadix: try t.requiredInt("switchRadix", in: 2...4096),
                    oversubscription: note("fabric.tiers[\(i)].oversubscription", try t.sourced("oversubscription", in: 1...64) ?? Sourced(value: 1)),
                    latencyUs: note("fabric.tiers[\(i)].latencyUs", try t.sourced("latencyUs", in: 0...1e4) ?? Sourced(value: 0.5))))
                try t.finish()
            }
        }
        if kind == "fat-tree" && tiers.isEmpty { throw f.error("tiers", "a fat-tree needs at least one tier") }
        if tiers.count > 4 { throw f.error("tiers", "at most 4 tiers are supported, found \(tiers.count)") }
        let dims = try f.list("torusDims")?.enumerated().map { (i, v) throws(TrainSimError) -> Int in
            guard case let .number(d) = v, d >= 2, d <= 4096, d == d.rounded() else { throw f.error("torusDims[\(i)]", "expected a whole number from 2 to 4096") }
            return Int(d)
        } ?? []
        if kind == "torus" && !(1...3).contains(dims.count) { throw f.error("torusDims", "a torus needs 1 to 3 dimensions") }
        let fabric = FabricSpec(
            kind: kind, tiers: tiers, railOptimized: try f.bool("railOptimized") ?? false,
            planes: try f.int("planes", in: 1...16) ?? 1,
            efficiency: note("fabric.efficiency", try f.requiredSourced("efficiency", in: 0.01...1, positive: true)),
            baseLatencyUs: note("fabric.baseLatencyUs", try f.requiredSourced("baseLatencyUs", in: 0...1e4)),
            inNetworkReduction: try f.bool("inNetworkReduction") ?? false,
            torusDims: dims,
            dragonflyGroupSwitches: try f.int("dragonflyGroupSwitches", in: 1...4096) ?? 16,
            dragonflyGlobalLinksPerSwitch: try f.int("dragonflyGlobalLinksPerSwitch", in: 1...4096) ?? 4,
            maxDevices: try f.int("maxDevices", in: 1...100_000_000),
            routing: try f.choice("routing", ["d-mod-k", "ecmp"]) == "ecmp" ? .ecmpHash : .destinationModK)
        try f.finish()

        let s = try r.requiredObject("storage")
        let storage = StorageSpec(
            readGBpsPerNode: note("storage.readGBpsPerNode", try s.requiredSourced("readGBpsPerNode", in: 0.001...1e6, positive: true)),
            aggregateReadGBps: note("storage.aggregateReadGBps", try s.requiredSourced("aggregateReadGBps", in: 0.001...1e9, positive: true)),
            aggregateWriteGBps: note("storage.aggregateWriteGBps", try s.requiredSourced("aggregateWriteGBps", in: 0.001...1e9, positive: true)),
            pricePerTBMonthUSD: note("storage.pricePerTBMonthUSD", try s.sourced("pricePerTBMonthUSD", in: 0...1e6) ?? Sourced(value: 0)))
        try s.finish()

        let p = try r.requiredObject("power")
        let power = PowerSpec(pue: note("power.pue", try p.requiredSourced("pue", in: 1...5)))
        try p.finish()

        let pr = try r.requiredObject("prices")
        let prices = PriceSpec(
            devicePricePerHourUSD: try pr.sourced("devicePricePerHourUSD", in: 0...1e4).map { note("prices.devicePricePerHourUSD", $0) },
            capitalCostPerDeviceUSD: try pr.sourced("capitalCostPerDeviceUSD", in: 0...1e8).map { note("prices.capitalCostPerDeviceUSD", $0) },
            amortizationYears: note("prices.amortizationYears", try pr.sourced("amortizationYears", in: 0.1...50) ?? Sourced(value: 4)),
            electricityPricePerKWhUSD: note("prices.electricityPricePerKWhUSD", try pr.requiredSourced("electricityPricePerKWhUSD", in: 0...100)),
            cnyPerUSD: note("prices.cnyPerUSD", try pr.requiredSourced("cnyPerUSD", in: 0.1...100, positive: true)))
        try pr.finish()

        let rl = try r.requiredObject("reliability")
        let rel = ReliabilitySpec(
            deviceMTBFHours: note("reliability.deviceMTBFHours", try rl.requiredSourced("deviceMTBFHours", in: 1...1e9, positive: true)),
            nodeMTBFHours: note("reliability.nodeMTBFHours", try rl.requiredSourced("nodeMTBFHours", in: 1...1e9, positive: true)),
            restartMinutes: note("reliability.restartMinutes", try rl.requiredSourced("restartMinutes", in: 0...1e4)))
        try rl.finish()
        let profile = try r.string("linkProfile").map { ref throws(TrainSimError) in
            try LinkProfile.load(ref, relativeTo: folder, referencedFrom: file, keyPath: "linkProfile")
        }
        try r.finish()
        let spec = TopologySpec(id: id, name: name, description: description, device: device, node: node, fabric: fabric,
                                storage: storage, power: power, prices: prices, reliability: rel, linkProfile: nil, sources: sources)
        return profile.map(spec.applying) ?? spec
    }
}
