import ContentStore

/// A set of chunk ids as one sorted array: 32 bytes an id, where a `Set` takes about
/// twice that and grows by doubling. Each id has a position (``slot(of:)``), so a caller
/// can keep a flag per id in an array beside it.
struct SortedChunkIDs {
    private var ids: [ChunkID]

    /// `ids` in any order, repeats allowed.
    init(_ ids: [ChunkID]) {
        self.ids = ids
        self.ids.sort()
        var kept = 0
        for id in self.ids where kept == 0 || self.ids[kept - 1] != id {
            self.ids[kept] = id
            kept += 1
        }
        self.ids.removeLast(self.ids.count - kept)
    }

    /// The ids that occur more than once in `sorted`, which must be sorted.
    init(repeatedIn sorted: [ChunkID]) {
        ids = []
        var index = 1
        while index < sorted.count {
            if sorted[index] == sorted[index - 1], ids.last != sorted[index] { ids.append(sorted[index]) }
            index += 1
        }
    }

    var count: Int { ids.count }
    var isEmpty: Bool { ids.isEmpty }
    /// The ids, in order.
    var all: [ChunkID] { ids }

    /// Where `id` is among the ids (0 ..< count), if it is there.
    func slot(of id: ChunkID) -> Int? {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == id ? low : nil
    }

    func contains(_ id: ChunkID) -> Bool { slot(of: id) != nil }

    /// Adds `others` (any order, repeats allowed) in one merge: a push adds each group's
    /// ids to those it asked about before.
    mutating func formUnion(_ others: [ChunkID]) {
        let added = SortedChunkIDs(others).ids
        var merged: [ChunkID] = []
        merged.reserveCapacity(ids.count + added.count)
        var i = 0, j = 0
        while i < ids.count || j < added.count {
            if j == added.count || (i < ids.count && ids[i] < added[j]) {
                merged.append(ids[i])
                i += 1
            } else {
                if i < ids.count && ids[i] == added[j] { i += 1 }
                merged.append(added[j])
                j += 1
            }
        }
        ids = merged
    }
}
