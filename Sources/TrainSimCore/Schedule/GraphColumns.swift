/// The operations of a task graph while it is built: one raw column per field and the
/// dependencies, grown by doubling. The builder appends to them once per operation and field;
/// through arrays held in a struct that is itself a field of the builder, every append paid a
/// uniqueness check (a runtime call) and the graph was first laid out as records, then copied
/// field by field. `TaskGraph.finalize` turns the columns into the graph's arrays.
///
/// The columns live behind a raw pointer, so that the hot path retains nothing; `GraphColumnsOwner`
/// frees them. A graph is built by one builder and copied only once finalized.
struct GraphColumns {
    var count = 0, capacity = 0
    var work: UnsafeMutablePointer<Double>, smShare: UnsafeMutablePointer<Double>
    var stage: UnsafeMutablePointer<Int32>, stream: UnsafeMutablePointer<Int32>, request: UnsafeMutablePointer<Int32>
    var layer: UnsafeMutablePointer<Int32>, layers: UnsafeMutablePointer<Int32>
    var microBatch: UnsafeMutablePointer<Int32>, virtualStage: UnsafeMutablePointer<Int32>
    var name: UnsafeMutablePointer<UInt16>
    var category: UnsafeMutablePointer<TaskGraph.Category>
    /// Where each operation's dependencies start in `deps` (the end is the next one's start).
    var depStart: UnsafeMutablePointer<Int32>
    var deps: UnsafeMutablePointer<Int32>
    var depCount = 0, depCapacity = 0

    init(capacity n: Int) {
        capacity = max(n, 16)
        work = .allocate(capacity: capacity); smShare = .allocate(capacity: capacity)
        stage = .allocate(capacity: capacity); stream = .allocate(capacity: capacity); request = .allocate(capacity: capacity)
        layer = .allocate(capacity: capacity); layers = .allocate(capacity: capacity)
        microBatch = .allocate(capacity: capacity); virtualStage = .allocate(capacity: capacity)
        name = .allocate(capacity: capacity); category = .allocate(capacity: capacity)
        depStart = .allocate(capacity: capacity + 1)
        depCapacity = 3 * capacity
        deps = .allocate(capacity: depCapacity)
    }

    private static func moved<T>(_ p: UnsafeMutablePointer<T>, _ count: Int, _ capacity: Int) -> UnsafeMutablePointer<T> {
        let q = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        q.moveInitialize(from: p, count: count)
        p.deallocate()
        return q
    }

    /// Room for at least one more operation.
    mutating func grow() {
        let c = 2 * capacity, n = count
        work = Self.moved(work, n, c); smShare = Self.moved(smShare, n, c)
        stage = Self.moved(stage, n, c); stream = Self.moved(stream, n, c); request = Self.moved(request, n, c)
        layer = Self.moved(layer, n, c); layers = Self.moved(layers, n, c)
        microBatch = Self.moved(microBatch, n, c); virtualStage = Self.moved(virtualStage, n, c)
        name = Self.moved(name, n, c); category = Self.moved(category, n, c)
        depStart = Self.moved(depStart, n, c + 1)
        capacity = c
    }

    /// Room for at least one more dependency.
    mutating func growDeps() {
        let c = 2 * depCapacity
        deps = Self.moved(deps, depCount, c)
        depCapacity = c
    }

    func free() {
        work.deallocate(); smShare.deallocate(); stage.deallocate(); stream.deallocate(); request.deallocate()
        layer.deallocate(); layers.deallocate(); microBatch.deallocate(); virtualStage.deallocate()
        name.deallocate(); category.deallocate(); depStart.deallocate(); deps.deallocate()
    }
}

/// Frees a graph's columns under construction when the last copy of the graph that holds them goes.
final class GraphColumnsOwner: @unchecked Sendable {
    let columns: UnsafeMutablePointer<GraphColumns>
    /// The last operation on each stream (-1: none yet).
    let lastOnStream: UnsafeMutablePointer<Int32>
    private let streams: Int

    init(capacity: Int, streams: Int) {
        columns = .allocate(capacity: 1)
        columns.initialize(to: GraphColumns(capacity: capacity))
        self.streams = max(streams, 1)
        lastOnStream = .allocate(capacity: self.streams)
        lastOnStream.initialize(repeating: -1, count: self.streams)
    }

    deinit {
        columns.pointee.free()
        columns.deinitialize(count: 1)
        columns.deallocate()
        lastOnStream.deallocate()
    }
}
