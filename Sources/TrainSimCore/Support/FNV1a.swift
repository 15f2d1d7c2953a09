/// FNV-1a, 64 bits (Fowler, Noll and Vo; the parameters of the IETF draft
/// draft-eastlake-fnv, "The FNV Non-Cryptographic Hash Algorithm"): a fixed, portable hash for
/// the checks trainsim writes into its files. Not a defence against tampering: it catches edits,
/// mix-ups and torn writes.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        // Contiguous bytes (arrays, slices, native strings' UTF-8) in a plain pointer loop.
        if let v = bytes.withContiguousStorageIfAvailable({ p -> UInt64 in
            var v = value
            for b in p { v = (v ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            return v
        }) {
            value = v
            return
        }
        for b in bytes {
            value ^= UInt64(b)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    public mutating func add(_ text: String) { add(text.utf8) }

    /// The hash as 16 lower-case hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var h = FNV1a()
        h.add(bytes)
        return h.hex
    }
}
