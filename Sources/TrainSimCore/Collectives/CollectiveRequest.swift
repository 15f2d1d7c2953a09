import Foundation

/// The collectives a training step issues.
public enum CollectiveKind: String, Sendable, CaseIterable {
    case allReduce, reduceScatter, allGather, allToAll, sendRecv, broadcast

    /// nccl-tests bus-bandwidth factor: busbw = algbw x factor.
    public func busFactor(_ n: Int) -> Double {
        let n = Double(max(n, 1))
        switch self {
        case .allReduce: return 2 * (n - 1) / n
        case .reduceScatter, .allGather, .allToAll: return (n - 1) / n
        case .sendRecv, .broadcast: return 1
        }
    }
}

/// One dimension of a group: `size` members `stride` device indices apart.
public struct GroupDim: Sendable, Equatable, Hashable {
    public var size: Int
    public var stride: Int
    public init(size: Int, stride: Int) { self.size = size; self.stride = stride }
}

/// A communication group in global device numbering: member = base + sum(i_k x stride_k).
/// Devices are numbered node by node (device d sits in node d / devicesPerNode). Every
/// collective of a parallel dimension runs on all its disjoint copies at once (all DP groups,
/// all TP groups), which is how the flow kernel loads the fabric.
public struct CommGroup: Sendable, Equatable, Hashable {
    public var dims: [GroupDim]
    public init(_ dims: [GroupDim]) { self.dims = dims.filter { $0.size > 1 } }
    public init(size: Int, stride: Int) { self.init([GroupDim(size: size, stride: stride)]) }

    public var size: Int { dims.reduce(1) { $0 * $1.size } }

    /// The group split into its innermost `inner` members (a subgroup of each copy) and the
    /// group of those subgroups' corresponding members; nil when `inner` does not divide the
    /// group along its dimensions (a whole number of inner dimensions, then a divisor of the next).
    public func split(inner: Int) -> (inner: CommGroup, outer: CommGroup)? {
        var a: [GroupDim] = [], b: [GroupDim] = [], left = inner
        for d in dims {
            if left == 1 { b.append(d); continue }
            if left >= d.size {
                guard left % d.size == 0 else { return nil }
                a.append(d); left /= d.size
            } else {
                guard d.size % left == 0 else { return nil }
                a.append(GroupDim(size: left, stride: d.stride))
                b.append(GroupDim(size: d.size / left, stride: d.stride * left))
                left = 1
            }
        }
        return left == 1 ? (CommGroup(a), CommGroup(b)) : nil
    }

    /// Members of the copy that starts at `base`, in group-rank order (first dim fastest).
    public func members(base: Int = 0) -> [Int] {
        var out = [base]
        for d in dims {
            var next: [Int] = []
            next.reserveCapacity(out.count * d.size)
            for i in 0..<d.size { for m in out { next.append(m + i * d.stride) } }
            out = next
        }
        return out
    }

    /// The bases of all disjoint copies of this group that tile `devices` devices.
    public func copyBases(devices: Int) -> [Int] {
        var inGroup = Set<Int>()
        var bases: [Int] = []
        let offsets = members(base: 0)
        for b in 0..<devices where !inGroup.contains(b) {
            bases.append(b)
            for o in offsets { inGroup.insert(b + o) }
        }
        return bases
    }
}

/// One collective to cost. `bytes` is per rank: the buffer being all-reduced, the input of a
/// reduce-scatter, the output of an all-gather, everything a rank sends in an all-to-all, the
/// message of a send/recv. All copies of the group run it at the same time.
public struct CollectiveRequest: Sendable, Equatable {
    public var kind: CollectiveKind
    public var bytes: Double
    public var group: CommGroup
    /// A label for reports ("tp", "dp", "ep", "pp", "cp").
    public var label: String
    public init(kind: CollectiveKind, bytes: Double, group: CommGroup, label: String) {
        self.kind = kind; self.bytes = bytes; self.group = group; self.label = label
    }
}

/// What a collective costs: time, and how that time splits over the network tiers it crossed.
public struct CollectiveCost: Sendable, Equatable {
    public var seconds: Double
    /// Seconds attributed to each tier ("scale-up", "leaf", "spine", ...).
    public var perTier: [String: Double]
    /// The algorithm chosen ("ring", "hierarchical", "pairwise", ...).
    public var algorithm: String
    public init(seconds: Double, perTier: [String: Double] = [:], algorithm: String = "") {
        self.seconds = seconds; self.perTier = perTier; self.algorithm = algorithm
    }
    public static let zero = CollectiveCost(seconds: 0)
}

/// A network backend: closed forms (`AnalyticalNetwork`) or flow-level contention (`FlowNetwork`).
/// The engine sees only this.
public protocol CollectiveCostModel: Sendable {
    var name: String { get }
    /// Costs each request as if it ran alone (all copies of its group at once).
    func cost(_ request: CollectiveRequest) -> CollectiveCost
    /// Costs requests that run at the same time and share links. The default costs each alone.
    func costConcurrent(_ requests: [CollectiveRequest]) -> [CollectiveCost]
    /// Whether this is the flow-level network, which the timeline asks to solve concurrent
    /// collectives together. A flag rather than a cast: a cast that fails (an analytical model, a
    /// struct, to the flow network's class) makes the Swift runtime look through every protocol
    /// conformance in the binary the first time, about 0.24 M instructions of a 13.8 M-instruction
    /// run (callgrind).
    var isFlowLevel: Bool { get }
}

extension CollectiveCostModel {
    public func costConcurrent(_ requests: [CollectiveRequest]) -> [CollectiveCost] { requests.map(cost) }
    public var isFlowLevel: Bool { false }
}
