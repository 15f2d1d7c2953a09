extension CollectiveRunner {
    /// Binary-tree all-reduce (rank r has children 2r+1 and 2r+2, rank 0 is the root), pipelined by chunks:
    /// a rank reduces chunk k from its children into its buffer and passes it up while later chunks are still
    /// arriving; then the root's result flows down the same tree chunk by chunk.
    func treeAllReduce(_ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType, op: ReductionOp) {
        let n = size, step = chunk(type)
        let children = [2 * rank + 1, 2 * rank + 2].filter { $0 < n }
        let parent = rank == 0 ? nil : (rank - 1) / 2
        let kernel = ReductionKernel.best(op, type)
        let bytes = count * type.byteCount
        let chunks = (bytes + step - 1) / step
        func length(_ k: Int) -> Int { Swift.min(step, bytes - k * step) }

        // Reduce up the tree.
        let slots = pipelineDepth
        withScratch(type, slots: slots * Swift.max(children.count, 1)) { scratch in
            func post(_ child: Int, _ k: Int) -> TransportRequest {
                let slot = scratch + (child * slots + k % slots) * step
                return transport.irecv(UnsafeMutableRawBufferPointer(start: slot, count: length(k)), from: children[child], tag: Tag.treeReduce)
            }
            var pending = children.indices.map { c in (0..<Swift.min(slots, chunks)).map { post(c, $0) } }
            var sends: [TransportRequest] = []
            for k in 0..<chunks {
                for c in children.indices {
                    transport.wait(pending[c][k % slots])
                    kernel(buffer + k * step, UnsafeRawPointer(scratch + (c * slots + k % slots) * step), count: length(k) / type.byteCount)
                    if k + slots < chunks { pending[c][k % slots] = post(c, k + slots) }
                }
                if let parent {
                    sends.append(transport.isend(UnsafeRawBufferPointer(start: buffer + k * step, count: length(k)), to: parent, tag: Tag.treeReduce))
                }
            }
            transport.wait(sends)
        }

        // Broadcast down the tree.
        var receives: [TransportRequest] = []
        if let parent {
            receives = (0..<chunks).map { k in
                transport.irecv(UnsafeMutableRawBufferPointer(start: buffer + k * step, count: length(k)), from: parent, tag: Tag.treeBroadcast)
            }
        }
        var sends: [TransportRequest] = []
        for k in 0..<chunks {
            if parent != nil { transport.wait(receives[k]) }
            for child in children {
                sends.append(transport.isend(UnsafeRawBufferPointer(start: buffer + k * step, count: length(k)), to: child, tag: Tag.treeBroadcast))
            }
        }
        transport.wait(sends)
    }
}
