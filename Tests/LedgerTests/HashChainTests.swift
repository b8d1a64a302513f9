import Ledger
import Testing

@Suite("Canonical entry encoding and the hash chain")
struct HashChainTests {
    @Test("the test SHA-256 matches the FIPS 180-4 vectors")
    func sha256Vectors() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a credit encodes as documented")
    func creditBytes() {
        let entry = LedgerEntry(
            sequence: 1, client: "acme", project: "website", at: 1_767_225_600,
            kind: .credit(minutes: 1320, invoice: number("2026/0001")))
        #expect(String(decoding: entry.canonicalBytes, as: UTF8.self) == """
            follow-up ledger entry v1
            sequence=1:1
            client=4:acme
            project=7:website
            at=10:1767225600
            kind=6:credit
            minutes=4:1320
            invoice=9:2026/0001

            """)
    }

    @Test("a debit encodes its free text length-prefixed, an absent phase as -")
    func debitBytes() {
        let entry = LedgerEntry(
            sequence: 12, client: "acme", project: "website", at: 1_767_225_600,
            kind: .debit(HourEntry(minutes: 45, service: "Copy", phase: nil, note: "line one\nphase=-", staff: "giulia", overage: 5)))
        #expect(String(decoding: entry.canonicalBytes, as: UTF8.self) == """
            follow-up ledger entry v1
            sequence=2:12
            client=4:acme
            project=7:website
            at=10:1767225600
            kind=5:debit
            minutes=2:45
            service=4:Copy
            phase=-
            note=16:line one
            phase=-
            staff=6:giulia
            overage=1:5

            """)
        // The same note with a real phase cannot produce the same bytes.
        let withPhase = LedgerEntry(
            sequence: 12, client: "acme", project: "website", at: 1_767_225_600,
            kind: .debit(HourEntry(minutes: 45, service: "Copy", phase: "-", note: "line one\nphase=-", staff: "giulia", overage: 5)))
        #expect(withPhase.canonicalBytes != entry.canonicalBytes)
    }

    @Test("lengths count UTF-8 bytes")
    func utf8Lengths() {
        let entry = LedgerEntry(sequence: 1, client: "caffè", project: "p", at: 0, kind: .expiry(minutes: 10, contractMonth: 2))
        let text = String(decoding: entry.canonicalBytes, as: UTF8.self)
        #expect(text.contains("\nclient=6:caffè\n"))
        #expect(text.hasSuffix("kind=6:expiry\nminutes=2:10\ncontract-month=1:2\n"))
    }

    @Test("every kind encodes differently, and every field matters")
    func distinct() {
        let kinds: [LedgerEntryKind] = [
            .credit(minutes: 60, invoice: number("2026/0001")),
            .credit(minutes: 61, invoice: number("2026/0001")),
            .credit(minutes: 60, invoice: number("2026/0002")),
            .debit(HourEntry(minutes: 60, service: "S", phase: "P", note: "N", staff: "T")),
            .debit(HourEntry(minutes: 60, service: "S", phase: "P", note: "N", staff: "T", overage: 1)),
            .debit(HourEntry(minutes: 60, service: "S", phase: nil, note: "N", staff: "T")),
            .debit(HourEntry(minutes: 60, service: "S", phase: "P", note: "N2", staff: "T")),
            .expiry(minutes: 60, contractMonth: 1),
            .reversal(Reversal(entry: 1, reversed: .credit, minutes: 60, reason: "r")),
            .reversal(Reversal(entry: 1, reversed: .debit, minutes: 60, reason: "r")),
            .voucherIssued(code: "V", amount: 60, dispute: "D"),
            .voucherApplied(code: "V", amount: 60, invoice: number("2026/0001")),
        ]
        let entries = kinds.map { LedgerEntry(sequence: 1, client: "c", project: "p", at: 0, kind: $0) }
            + [
                LedgerEntry(sequence: 2, client: "c", project: "p", at: 0, kind: kinds[0]),
                LedgerEntry(sequence: 1, client: "d", project: "p", at: 0, kind: kinds[0]),
                LedgerEntry(sequence: 1, client: "c", project: "q", at: 0, kind: kinds[0]),
                LedgerEntry(sequence: 1, client: "c", project: "p", at: 1, kind: kinds[0]),
            ]
        #expect(Set(entries.map(\.canonicalBytes)).count == entries.count)
    }

    private func chain(_ count: Int = 5) throws -> [ChainedEntry] {
        var ledger = LedgerBuilder()
        ledger.credit(1200)
        for _ in 1..<count { try ledger.log(60) }
        var chain: [ChainedEntry] = []
        for entry in ledger.entries { chain.append(HashChain.append(entry, after: chain.last, using: SHA256.hash)) }
        return chain
    }

    private func verify(_ chain: [ChainedEntry], head: [UInt8]? = nil) -> ChainBreak? {
        HashChain.verify(chain, client: "acme", head: head, using: SHA256.hash)
    }

    @Test("an intact chain verifies; the first link hashes genesis ‖ entry")
    func intact() throws {
        let chain = try chain()
        #expect(verify(chain) == nil)
        #expect(verify(chain, head: chain.last?.hash) == nil)
        #expect(HashChain.genesis == [UInt8](repeating: 0, count: 32))
        #expect(chain[0].hash == SHA256.hash(HashChain.genesis + chain[0].entry.canonicalBytes))
        #expect(chain[1].hash == SHA256.hash(chain[0].hash + chain[1].entry.canonicalBytes))
        #expect(verify([]) == nil)
    }

    @Test("a modified entry breaks its own link")
    func modified() throws {
        var chain = try chain()
        let original = chain[2].entry
        let forged = LedgerEntry(
            sequence: original.sequence, client: original.client, project: original.project, at: original.at,
            kind: .debit(HourEntry(minutes: 6, service: "Copywriting", phase: "Design", note: "homepage", staff: "giulia")))
        chain[2] = ChainedEntry(entry: forged, hash: chain[2].hash)
        let broken = try #require(verify(chain))
        #expect(broken.position == 2)
        #expect(broken.sequence == 3)
        guard case .hashMismatch = broken.problem else { Issue.record("expected a hash mismatch"); return }
    }

    @Test("a modified entry whose hash was recomputed breaks the next link")
    func modifiedAndRehashed() throws {
        var chain = try chain()
        let original = chain[2].entry
        let forged = LedgerEntry(sequence: 3, client: "acme", project: original.project, at: original.at, kind: .credit(minutes: 9999, invoice: number("2026/0099")))
        chain[2] = ChainedEntry(entry: forged, hash: HashChain.link(forged, after: chain[1].hash, using: SHA256.hash))
        let broken = try #require(verify(chain))
        #expect(broken.position == 3)
    }

    @Test("reordered entries are detected")
    func reordered() throws {
        var chain = try chain()
        chain.swapAt(1, 2)
        let broken = try #require(verify(chain))
        #expect(broken.position == 1)
        #expect(broken.problem == .sequence(expected: 2, found: 3))
    }

    @Test("a removed entry is detected, even if the rest is renumbered")
    func removed() throws {
        var chain = try chain()
        chain.remove(at: 2)
        #expect(try #require(verify(chain)).problem == .sequence(expected: 3, found: 4))

        let renumbered = chain.enumerated().map { index, stored in
            let e = stored.entry
            return ChainedEntry(
                entry: LedgerEntry(sequence: Int64(index + 1), client: e.client, project: e.project, at: e.at, kind: e.kind),
                hash: stored.hash)
        }
        let broken = try #require(verify(renumbered))
        #expect(broken.position == 2)
        guard case .hashMismatch = broken.problem else { Issue.record("expected a hash mismatch"); return }
    }

    @Test("a tail cut off is detected against the recorded head")
    func truncated() throws {
        let chain = try chain()
        let head = try #require(chain.last?.hash)
        let cut = Array(chain.dropLast())
        #expect(verify(cut) == nil)  // without a head there is nothing to compare with
        let broken = try #require(verify(cut, head: head))
        #expect(broken.position == 4)
        #expect(broken.sequence == nil)
        #expect(broken.problem == .headMismatch(computed: cut[3].hash, expected: head))
    }

    @Test("another client's entry in the chain is reported")
    func otherClient() throws {
        var chain = try chain()
        let e = chain[1].entry
        chain[1] = ChainedEntry(entry: LedgerEntry(sequence: 2, client: "globex", project: e.project, at: e.at, kind: e.kind), hash: chain[1].hash)
        #expect(try #require(verify(chain)).problem == .otherClient("globex"))
    }

    @Test("verification can start from a checkpoint")
    func checkpoint() throws {
        let chain = try chain()
        let tail = Array(chain[3...])
        #expect(HashChain.verify(tail, client: "acme", previous: chain[2].hash, firstSequence: 4, using: SHA256.hash) == nil)
        #expect(HashChain.verify(tail, client: "acme", previous: chain[1].hash, firstSequence: 4, using: SHA256.hash) != nil)
    }
}
