extension Array {
    /// An array that takes over `count` initialized values from a buffer allocated for them,
    /// which it deallocates (one copy, no zero-filling first).
    init(moving p: UnsafeMutablePointer<Element>, count: Int) {
        defer { p.deallocate() }
        self.init(unsafeUninitializedCapacity: count) { out, filled in
            if count > 0 { out.baseAddress!.moveInitialize(from: p, count: count) }
            filled = count
        }
    }
}
