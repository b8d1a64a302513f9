import Catalog
import ContentStore
import Ledger
import SyncProtocol

/// Domain values as the API shows them: plain integers for cents and minutes.

extension QuoteInfo {
    init(_ stored: StoredQuote) {
        let quote = stored.quote
        self.init(
            id: quote.id, client: quote.client, project: quote.project, plan: quote.plan.rawValue, state: quote.state.rawValue,
            services: quote.services.map { ServiceMinutes(name: $0.name, minutes: $0.minutes.rawValue) },
            rateCents: quote.terms?.rateCents.rawValue, discountPercent: quote.terms?.discountPercent.rawValue,
            invoice: nil, acceptedSHA256: stored.evidence.map { Hex.encode($0.sha256) })
    }
}

extension InvoiceInfo {
    init(_ invoice: Invoice) {
        let status = invoice.isPaid ? "paid" : (invoice.paid > .zero || invoice.deducted > .zero ? "partially-paid" : "issued")
        self.init(
            number: invoice.number.description, client: invoice.client, project: invoice.project, status: status,
            netCents: invoice.net.rawValue, vatCents: invoice.vat.rawValue, totalCents: invoice.total.rawValue,
            paidCents: invoice.paid.rawValue, deductedCents: invoice.deducted.rawValue, creditMinutes: invoice.credit.rawValue,
            lines: invoice.items.map { item in
                InvoiceLineInfo(
                    description: item.description, minutes: item.line.minutes.rawValue, listCents: item.line.list.rawValue,
                    discountCents: item.line.discount.rawValue, netCents: item.line.net.rawValue,
                    vatCents: item.line.vat.rawValue, totalCents: item.line.total.rawValue)
            })
    }
}

extension LedgerEntryInfo {
    init(_ chained: ChainedEntry) {
        let entry = chained.entry
        var info = LedgerEntryInfo(
            seq: entry.sequence, project: entry.project, kind: entry.kind.name, minutes: 0,
            time: entry.at.rawValue, hash: Hex.encode(chained.hash))
        switch entry.kind {
        case let .credit(minutes, invoice):
            info.minutes = minutes.rawValue
            info.reference = invoice.description
        case let .debit(hours):
            info.minutes = -hours.minutes.rawValue
            info.service = hours.service
            info.phase = hours.phase
            info.note = hours.note
            info.overageMinutes = hours.overage.rawValue
        case let .expiry(minutes, month):
            info.minutes = -minutes.rawValue
            info.reference = "month \(month)"
        case let .reversal(reversal):
            // A reversal undoes the original's effect on the remaining minutes.
            info.minutes = reversal.reversed == .credit ? -reversal.minutes.rawValue : reversal.minutes.rawValue
            info.reference = "entry \(reversal.entry)"
            info.note = reversal.reason
        case let .voucherIssued(code, amount, dispute):
            info.cents = amount.rawValue
            info.reference = "voucher \(code) for dispute \(dispute)"
        case let .voucherApplied(code, amount, invoice):
            info.cents = -amount.rawValue
            info.reference = "voucher \(code) on \(invoice.description)"
        }
        self = info
    }
}

extension DisputeInfo {
    init(_ dispute: Dispute) {
        let subject: String = switch dispute.subject {
        case let .hourEntry(sequence, _, _): "entry:\(sequence)"
        case let .invoice(number, _): "invoice:\(number.description)"
        }
        let (state, voucher): (String, String?) = switch dispute.state {
        case .open: ("open", nil)
        case let .justified(code): ("justified", code)
        case .rejected: ("rejected", nil)
        }
        self.init(
            id: dispute.id, client: dispute.client, project: dispute.project, subject: subject, reason: dispute.reason,
            valueCents: dispute.value.rawValue, state: state, resolution: dispute.resolution, voucher: voucher)
    }
}

extension InvoiceNumber {
    /// Invoice numbers travel in paths as `2026-0001`: a slash would split the segment.
    init?(pathSegment: String) {
        self.init(pathSegment.replacingOccurrences(of: "-", with: "/"))
    }
}

extension TicketInfo {
    init(_ thread: TicketThread) {
        let ticket = thread.ticket
        self.init(
            id: ticket.id, client: ticket.client, subject: ticket.subject, priority: ticket.priority.rawValue,
            state: thread.state.rawValue, opened: ticket.openedAt.rawValue,
            deadline: ticket.deadline.rawValue, firstResponse: ticket.firstResponseAt?.rawValue)
    }
}
