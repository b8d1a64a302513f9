extension LedgerEntryInfo {
    /// The entry a "ledger.entry" change announces, flattened exactly as
    /// `GET /v1/clients/{c}/ledger` flattens it, so a pulled folder's ledger files and
    /// the API agree line for line. Nil for another kind of change or a malformed one.
    public init?(_ event: ChangeEvent) {
        let data = event.data
        guard event.kind == .ledgerEntry, let project = event.project,
              let seq = data["sequence"]?.integerValue, let kind = data["kind"]?.stringValue,
              let time = data["at"]?.integerValue, let hash = data["hash"]?.stringValue
        else { return nil }
        let minutes = data["minutes"]?.integerValue ?? 0
        let amount = data["amount_cents"]?.integerValue
        let code = data["code"]?.stringValue ?? ""
        let invoice = data["invoice"]?.stringValue ?? ""
        self.init(seq: seq, project: project, kind: kind, minutes: 0, time: time, hash: hash)
        // The signs follow the entry's effect on the project's remaining minutes.
        switch kind {
        case "credit":
            self.minutes = minutes
            reference = invoice
        case "debit":
            self.minutes = -minutes
            service = data["service"]?.stringValue
            phase = data["phase"]?.stringValue
            note = data["note"]?.stringValue
            overageMinutes = data["overage_minutes"]?.integerValue
        case "expiry":
            self.minutes = -minutes
            reference = "month \(data["contract_month"]?.integerValue ?? 0)"
        case "reversal":
            self.minutes = data["reversed"]?.stringValue == "credit" ? -minutes : minutes
            reference = "entry \(data["reverses"]?.integerValue ?? 0)"
            note = data["reason"]?.stringValue
        case "voucher-issued":
            cents = amount
            reference = "voucher \(code) for dispute \(data["dispute"]?.stringValue ?? "")"
        case "voucher-applied":
            cents = amount.map { -$0 }
            reference = "voucher \(code) on \(invoice)"
        default:
            self.minutes = minutes
        }
    }
}
