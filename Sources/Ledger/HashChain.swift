/// A ledger entry with its chain hash, as stored.
public struct ChainedEntry: Hashable, Sendable, Codable {
    public let entry: LedgerEntry
    /// `H(previous entry's hash ‖ entry.canonicalBytes)`.
    public let hash: [UInt8]

    public init(entry: LedgerEntry, hash: [UInt8]) {
        self.entry = entry
        self.hash = hash
    }
}

/// The first place where a client's chain does not hold.
public struct ChainBreak: Hashable, Sendable {
    /// 0-based position in the list given to ``HashChain/verify(_:client:previous:firstSequence:head:using:)``;
    /// the list's count for a ``Problem/headMismatch(computed:expected:)``.
    public let position: Int
    /// The entry's sequence, if there is an entry at `position`.
    public let sequence: Int64?
    public let problem: Problem

    public enum Problem: Hashable, Sendable {
        /// Entries are missing or out of order: the sequence numbers are not 1, 2, 3 …
        case sequence(expected: Int64, found: Int64)
        /// An entry of another client is in this client's chain.
        case otherClient(String)
        /// The stored hash is not the hash of the previous hash and this entry: the entry, or one
        /// before it, was modified, or entries were removed and renumbered.
        case hashMismatch(computed: [UInt8], stored: [UInt8])
        /// The chain is intact but does not end at the expected head: entries were removed from
        /// the end (or added without updating the head).
        case headMismatch(computed: [UInt8], expected: [UInt8])
    }
}

/// The per-client hash chain: `hash(n) = H(hash(n − 1) ‖ canonicalBytes(entry n))`, with
/// ``genesis`` before entry 1. The ledger has no cryptography of its own: callers pass H
/// (SHA-256 from libcrypto in production) as `(_ bytes: [UInt8]) -> [UInt8]`.
public enum HashChain {
    /// The "previous hash" of a client's first entry: 32 zero bytes.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The chain hash of `entry` following `previous`.
    public static func link(_ entry: LedgerEntry, after previous: [UInt8], using hash: (_ bytes: [UInt8]) -> [UInt8]) -> [UInt8] {
        hash(previous + entry.canonicalBytes)
    }

    /// `entry` chained after `last` (nil for the client's first entry).
    public static func append(_ entry: LedgerEntry, after last: ChainedEntry?, using hash: (_ bytes: [UInt8]) -> [UInt8]) -> ChainedEntry {
        ChainedEntry(entry: entry, hash: link(entry, after: last?.hash ?? genesis, using: hash))
    }

    /// Verifies one client's chain, in stored order, and returns its first break, or nil if it
    /// holds.
    ///
    /// Detects a modified entry (hash mismatch there), reordered or removed entries (sequence
    /// mismatch, or hash mismatch if they were renumbered) and, given the `head` hash recorded
    /// elsewhere, entries cut from the end. To verify from a checkpoint, pass the hash and
    /// sequence that precede the first entry given.
    public static func verify(
        _ chain: some Sequence<ChainedEntry>,
        client: String,
        previous: [UInt8] = genesis,
        firstSequence: Int64 = 1,
        head: [UInt8]? = nil,
        using hash: (_ bytes: [UInt8]) -> [UInt8]
    ) -> ChainBreak? {
        var previous = previous
        var expected = firstSequence
        var position = 0
        for stored in chain {
            let entry = stored.entry
            guard entry.client == client else {
                return ChainBreak(position: position, sequence: entry.sequence, problem: .otherClient(entry.client))
            }
            guard entry.sequence == expected else {
                return ChainBreak(
                    position: position, sequence: entry.sequence,
                    problem: .sequence(expected: expected, found: entry.sequence))
            }
            let computed = link(entry, after: previous, using: hash)
            guard computed == stored.hash else {
                return ChainBreak(
                    position: position, sequence: entry.sequence,
                    problem: .hashMismatch(computed: computed, stored: stored.hash))
            }
            previous = computed
            expected += 1
            position += 1
        }
        if let head, head != previous {
            return ChainBreak(position: position, sequence: nil, problem: .headMismatch(computed: previous, expected: head))
        }
        return nil
    }
}
