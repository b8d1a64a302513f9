extension LedgerEntry {
    /// The bytes the hash chain hashes: a deterministic, versioned encoding of every field.
    ///
    /// Version 1 is UTF-8 text: the line `follow-up ledger entry v1`, then one line per field,
    /// `name=LENGTH:VALUE`, where LENGTH is the decimal byte count of VALUE (as in netstrings), so
    /// any value, newlines included, is unambiguous without escaping. Every line ends with LF.
    /// Integers are plain decimal (`-` for negatives), amounts are cents, times are Unix
    /// seconds, text is as stored (no Unicode normalization); an absent optional is `name=-`.
    /// Fields, in order:
    ///
    ///     sequence, client, project, at, kind, then by kind:
    ///     credit           minutes, invoice
    ///     debit            minutes, service, phase (optional), note, staff, overage
    ///     expiry           minutes, contract-month
    ///     reversal         entry, reversed (credit|debit|expiry), minutes, reason
    ///     voucher-issued   code, amount, dispute
    ///     voucher-applied  code, amount, invoice
    ///
    /// For example a credit is
    ///
    ///     follow-up ledger entry v1
    ///     sequence=1:1
    ///     client=4:acme
    ///     project=7:website
    ///     at=10:1767225600
    ///     kind=6:credit
    ///     minutes=4:1320
    ///     invoice=9:2026/0001
    ///
    /// Changing any field, its order or this layout needs a new version line; old entries keep
    /// the encoding they were chained with.
    public var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter()
        writer.field("sequence", sequence)
        writer.field("client", client)
        writer.field("project", project)
        writer.field("at", at.rawValue)
        writer.field("kind", kind.name)
        switch kind {
        case .credit(let minutes, let invoice):
            writer.field("minutes", minutes.rawValue)
            writer.field("invoice", invoice.description)
        case .debit(let hours):
            writer.field("minutes", hours.minutes.rawValue)
            writer.field("service", hours.service)
            writer.field("phase", hours.phase)
            writer.field("note", hours.note)
            writer.field("staff", hours.staff)
            writer.field("overage", hours.overage.rawValue)
        case .expiry(let minutes, let month):
            writer.field("minutes", minutes.rawValue)
            writer.field("contract-month", Int64(month))
        case .reversal(let reversal):
            writer.field("entry", reversal.entry)
            writer.field("reversed", reversal.reversed.rawValue)
            writer.field("minutes", reversal.minutes.rawValue)
            writer.field("reason", reversal.reason)
        case .voucherIssued(let code, let amount, let dispute):
            writer.field("code", code)
            writer.field("amount", amount.rawValue)
            writer.field("dispute", dispute)
        case .voucherApplied(let code, let amount, let invoice):
            writer.field("code", code)
            writer.field("amount", amount.rawValue)
            writer.field("invoice", invoice.description)
        }
        return writer.bytes
    }
}

private struct CanonicalWriter {
    var bytes = Array("follow-up ledger entry v1\n".utf8)

    mutating func field(_ name: String, _ value: String?) {
        bytes += name.utf8
        bytes.append(UInt8(ascii: "="))
        if let value {
            let utf8 = Array(value.utf8)
            bytes += String(utf8.count).utf8
            bytes.append(UInt8(ascii: ":"))
            bytes += utf8
        } else {
            bytes.append(UInt8(ascii: "-"))
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    mutating func field(_ name: String, _ value: Int64) { field(name, String(value)) }
}
