extension Quote {
    /// The exact text a client accepts, as UTF-8: hash it with SHA-256 to keep acceptance
    /// evidence. Version 1, one `key: value` line each, LF-terminated, in this order:
    ///
    ///     follow-up quote v1
    ///     quote: Q-1
    ///     client: acme
    ///     project: website
    ///     plan: monthly
    ///     rate: 60.00 EUR/h
    ///     discount: 40%
    ///     vat: 22%
    ///     bonus: 0%
    ///     contract: 12 months, cancellable from month 3, unused minutes carry over
    ///     billing: one invoice per month; amounts are per invoice
    ///     service 1: Social media
    ///     service 1 minutes: 1200
    ///     service 1 net: 720.00 EUR
    ///     service 1 vat: 158.40 EUR
    ///     service 1 total: 878.40 EUR
    ///     minutes: 1200
    ///     credited minutes: 1200
    ///     net: 720.00 EUR
    ///     vat: 158.40 EUR
    ///     total: 878.40 EUR
    ///
    /// `contract` reads `none` and `billing` reads `one invoice` for the other plans. Amounts
    /// print as ``Cents/description``. Free text (ids, names) is written as given, no Unicode
    /// normalization, except that `%`, control characters and Unicode line separators are
    /// percent-encoded (`%25`, `%0A`, `%E2%80%A8`), so every line is one field and two
    /// different quotes never produce the same text. A new layout gets a new version line.
    ///
    /// Uses `terms` if given (to show a sent quote priced with the terms in force), else the
    /// terms frozen on acceptance.
    public func canonicalText(terms: QuoteTerms? = nil) throws(LedgerError) -> String {
        guard let terms = terms ?? self.terms else { throw .termsNotFrozen }
        let pricing = try pricing(with: terms)
        var lines = [
            "follow-up quote v1",
            "quote: \(canonicalEscape(id))",
            "client: \(canonicalEscape(client))",
            "project: \(canonicalEscape(project))",
            "plan: \(plan.rawValue)",
            "rate: \(terms.rateCents) EUR/h",
            "discount: \(terms.discountPercent)",
            "vat: \(terms.vatPercent)",
            "bonus: \(terms.bonusPercent)",
        ]
        if let contract = terms.contract {
            let unused = contract.carryOver ? "unused minutes carry over" : "unused minutes expire at month end"
            lines.append("contract: \(contract.months) months, cancellable from month \(contract.minimumMonths), \(unused)")
            lines.append("billing: one invoice per month; amounts are per invoice")
        } else {
            lines.append("contract: none")
            lines.append("billing: one invoice")
        }
        for (index, item) in pricing.items.enumerated() {
            let key = "service \(index + 1)"
            lines.append("\(key): \(canonicalEscape(item.description))")
            lines.append("\(key) minutes: \(item.line.minutes.rawValue)")
            lines.append("\(key) net: \(item.line.net) EUR")
            lines.append("\(key) vat: \(item.line.vat) EUR")
            lines.append("\(key) total: \(item.line.total) EUR")
        }
        lines.append("minutes: \(pricing.minutes.rawValue)")
        lines.append("credited minutes: \(pricing.creditMinutes.rawValue)")
        lines.append("net: \(pricing.net) EUR")
        lines.append("vat: \(pricing.vat) EUR")
        lines.append("total: \(pricing.total) EUR")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Percent-encodes `%`, C0/C1 control characters, DEL and U+2028/U+2029 (their UTF-8 bytes,
/// upper-case hex); everything else is kept as is.
func canonicalEscape(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        let value = scalar.value
        if value == 0x25 || value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 {
            for byte in String(scalar).utf8 {
                result += "%" + hexDigits(byte)
            }
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

private func hexDigits(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
