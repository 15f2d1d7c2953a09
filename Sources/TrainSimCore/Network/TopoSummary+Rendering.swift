import Foundation

extension TopoSummary {
    /// Renders the summary as `text`, `json` or `md`.
    public func render(format: String) -> String {
        switch format {
        case "json": return JSONWriter.write(json) + "\n"
        case "md": return markdown
        default: return text
        }
    }

    private static func f(_ x: Double, _ digits: Int = 1) -> String { Fmt.fixed(x, digits) }

    public var json: JSONValue {
        .object([
            ("topology", .string(id)), ("name", .string(name)), ("fabric", .string(fabric)),
            ("devices", .number(Double(devices))), ("nodes", .number(Double(nodes))),
            ("devicesPerNode", .number(Double(devicesPerNode))), ("partialNode", .bool(partialNode)),
            ("scaleUpDomain", .number(Double(scaleUpDomain))),
            ("maxDevices", .number(Double(maxDevices))), ("maxDevicesReason", .string(maxDevicesReason)),
            ("planes", .number(Double(planes))), ("railOptimized", .bool(railOptimized)),
            ("tiers", .array(tiers.map { t in
                .object([("name", .string(t.name)), ("switches", .number(Double(t.switches))),
                         ("links", .number(Double(t.links))), ("linkGBps", .number(t.linkGBps))])
            })),
            ("bisectionGBps", .number(bisectionGBps)), ("bisectionRatio", .number(bisectionRatio)),
            ("oversubscription", .number(oversubscription)), ("diameterHops", .number(Double(diameterHops))),
            ("messageBytes", .number(messageBytes)),
            ("busbw", .array(busbw.map { b in
                .object([("collective", .string(b.collective)), ("groupSize", .number(Double(b.groupSize))),
                         ("copies", .number(Double(b.copies))), ("algorithm", .string(b.algorithm)),
                         ("busbwGBps", .number(b.busbwGBps)), ("seconds", .number(b.seconds))])
            })),
        ])
    }

    /// A cluster smaller than one node of the design: one server with some of its devices.
    public var partialNode: Bool { devices < devicesPerNode }

    private var nodeText: String {
        partialNode ? "1 partial node: \(devices) of its \(devicesPerNode) devices"
            : "\(nodes) node\(nodes == 1 ? "" : "s") of \(devicesPerNode)"
    }

    private var headerLines: [(String, String)] {
        [("devices", "\(devices) (\(nodeText), scale-up domain \(scaleUpDomain))"),
         ("fabric", "\(fabric)\(railOptimized ? ", rail-optimized" : "")\(planes > 1 ? ", \(planes) planes" : "")"),
         ("design limit", "\(maxDevices) devices (\(maxDevicesReason))"),
         ("bisection", "\(Self.f(bisectionGBps / 1000, 2)) TB/s one way (\(Self.f(bisectionRatio * 100))% of injection)"),
         ("oversubscription", "\(Self.f(oversubscription, 2)):1"),
         ("diameter", "\(diameterHops) links")]
    }

    public var text: String {
        var s = "\(name) [\(id)]\n"
        for (k, v) in headerLines { s += "  " + k.padding(toLength: 17, withPad: " ", startingAt: 0) + v + "\n" }
        let w = max(10, (tiers.map(\.name.count).max() ?? 0) + 1)
        s += "\n  " + "tier".padding(toLength: w, withPad: " ", startingAt: 0) + "  switches     links   GB/s per link\n"
        for t in tiers {
            s += "  " + t.name.padding(toLength: w, withPad: " ", startingAt: 0)
                + String(repeating: " ", count: max(0, 10 - "\(t.switches)".count)) + "\(t.switches)"
                + String(repeating: " ", count: max(0, 10 - "\(t.links)".count)) + "\(t.links)"
                + "   " + Self.f(t.linkGBps) + "\n"
        }
        if !busbw.isEmpty {
            s += "\n  busbw, GB/s (\(Self.f(messageBytes / 1_073_741_824, 2)) GiB per rank, all group copies at once)\n"
            s += "  collective      group  copies  algorithm            busbw\n"
            for b in busbw {
                s += "  " + b.collective.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(0, 7 - "\(b.groupSize)".count)) + "\(b.groupSize)"
                    + String(repeating: " ", count: max(0, 8 - "\(b.copies)".count)) + "\(b.copies)"
                    + "  " + b.algorithm.padding(toLength: 19, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(0, 7 - Self.f(b.busbwGBps).count)) + Self.f(b.busbwGBps) + "\n"
            }
        }
        return s
    }

    public var markdown: String {
        var s = "## \(name) (`\(id)`)\n\n| | |\n|---|---|\n"
        for (k, v) in headerLines { s += "| \(k) | \(v) |\n" }
        s += "\n| tier | switches | links | GB/s per link |\n|---|---:|---:|---:|\n"
        for t in tiers { s += "| \(t.name) | \(t.switches) | \(t.links) | \(Self.f(t.linkGBps)) |\n" }
        if !busbw.isEmpty {
            s += "\n| collective | group | copies | algorithm | busbw GB/s |\n|---|---:|---:|---|---:|\n"
            for b in busbw { s += "| \(b.collective) | \(b.groupSize) | \(b.copies) | \(b.algorithm) | \(Self.f(b.busbwGBps)) |\n" }
        }
        return s
    }
}
