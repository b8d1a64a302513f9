/// One line of an invoice: what was done and its price.
public struct InvoiceItem: Hashable, Sendable, Codable {
    /// The service name.
    public let description: String
    public let line: InvoiceLine

    public init(description: String, line: InvoiceLine) {
        self.description = description
        self.line = line
    }
}

/// A payment received against an invoice.
public struct Payment: Hashable, Sendable, Codable {
    public let amount: Cents
    /// Bank transfer id, receipt number: how to find the money.
    public let reference: String
    public let at: UnixTime

    public init(amount: Cents, reference: String, at: UnixTime) {
        self.amount = amount
        self.reference = reference
        self.at = at
    }
}

/// A voucher deduction line on an invoice.
public struct VoucherDeduction: Hashable, Sendable, Codable {
    public let code: String
    public let amount: Cents
    public let at: UnixTime
}

/// What a payment or voucher did to an invoice.
public enum PaymentOutcome: Hashable, Sendable {
    /// Something is still owed.
    case partiallyPaid(outstanding: Cents)
    /// This payment completed the invoice: credit `credit` minutes to the project now, in the
    /// same transaction, with ``Invoice/creditEntry``. Reported once per invoice, because a
    /// paid invoice refuses any further payment or voucher.
    case nowPaid(credit: Minutes)
}

/// An issued invoice, with the payments and voucher deductions recorded against it.
///
/// Totals are the sums of lines rounded one by one, so the invoice always agrees with its
/// quote. Voucher deductions come off the total including VAT (a voucher is worth what the
/// client paid for the disputed work, see ``Dispute``). The invoice is paid when payments and
/// deductions cover its total; it never takes more than that.
public struct Invoice: Hashable, Sendable, Codable {
    public let number: InvoiceNumber
    public let client: String
    public let project: String
    /// Id of the quote it bills.
    public let quote: String
    public let plan: Plan
    /// 1-based month of a monthly contract; nil for other plans.
    public let contractMonth: Int?
    public let issuedAt: UnixTime
    public let items: [InvoiceItem]
    /// Minutes credited to the project when the invoice is paid (one-time plans: + bonus).
    public let credit: Minutes
    public let net: Cents
    public let vat: Cents
    /// `net + vat`, before vouchers.
    public let total: Cents
    public private(set) var deductions: [VoucherDeduction]
    public private(set) var payments: [Payment]

    /// Issues an invoice, or restores one from storage with its deductions and payments.
    /// Refuses an invoice without lines or with a zero total (nothing to pay, so nothing would
    /// ever credit its minutes), a number from another year than `issuedAt`'s Europe/Rome year,
    /// and deductions plus payments above the total.
    public init(
        number: InvoiceNumber, client: String, project: String, quote: String, plan: Plan,
        contractMonth: Int? = nil, issuedAt: UnixTime, items: [InvoiceItem], credit: Minutes,
        deductions: [VoucherDeduction] = [], payments: [Payment] = []
    ) throws(LedgerError) {
        let year = CivilTimeZone.europeRome.local(issuedAt).date.year
        guard number.year == year else { throw .invoiceNumberYear(number, issuedIn: year) }
        guard credit >= .zero else { throw .negativeMinutes(credit) }
        let net = try checkedSum(items.map(\.line.net.rawValue))
        let vat = try checkedSum(items.map(\.line.vat.rawValue))
        let total = try checkedSum(items.map(\.line.total.rawValue))
        guard total > 0 else { throw .nothingToInvoice }
        let settled = try checkedSum(deductions.map(\.amount.rawValue) + payments.map(\.amount.rawValue))
        guard settled <= total else { throw .overpayment(outstanding: Cents(total), offered: Cents(settled)) }

        self.number = number
        self.client = client
        self.project = project
        self.quote = quote
        self.plan = plan
        self.contractMonth = contractMonth
        self.issuedAt = issuedAt
        self.items = items
        self.credit = credit
        self.net = Cents(net)
        self.vat = Cents(vat)
        self.total = Cents(total)
        self.deductions = deductions
        self.payments = payments
    }

    /// Sum of voucher deductions.
    public var deducted: Cents { deductions.reduce(.zero) { $0 + $1.amount } }
    /// What the client owes after vouchers: `total − deducted`, never negative.
    public var due: Cents { total - deducted }
    public var paid: Cents { payments.reduce(.zero) { $0 + $1.amount } }
    public var outstanding: Cents { due - paid }
    public var isPaid: Bool { outstanding == .zero }

    /// The ledger entry that credits this invoice's minutes; append it when a payment or a
    /// voucher reports ``PaymentOutcome/nowPaid(credit:)``.
    public var creditEntry: LedgerEntryKind { .credit(minutes: credit, invoice: number) }

    /// Records a payment. Partial payments are fine; a payment above the outstanding amount is
    /// refused with ``LedgerError/overpayment(outstanding:offered:)`` and nothing is recorded.
    /// The payment that completes the invoice returns ``PaymentOutcome/nowPaid(credit:)``;
    /// after that every payment is refused, so the minutes are credited exactly once.
    public mutating func record(_ payment: Payment) throws(LedgerError) -> PaymentOutcome {
        guard payment.amount > .zero else { throw .nonPositivePayment(payment.amount) }
        guard !isBlank(payment.reference) else { throw .missingReference }
        guard !isPaid else { throw .invoiceAlreadyPaid(number) }
        guard payment.amount <= outstanding else { throw .overpayment(outstanding: outstanding, offered: payment.amount) }
        payments.append(payment)
        return outcome
    }

    /// Deducts a voucher of the same client: as much of its remaining value as the invoice
    /// still owes, so the amount due never goes below zero and an unused remainder stays on the
    /// voucher. A deduction that covers the rest completes the invoice like a payment does.
    public mutating func apply(_ voucher: inout Voucher, at time: UnixTime) throws(LedgerError) -> VoucherUse {
        guard voucher.client == client else { throw .voucherOfAnotherClient(code: voucher.code) }
        guard !isPaid else { throw .invoiceAlreadyPaid(number) }
        guard voucher.remaining > .zero else { throw .voucherExhausted(code: voucher.code) }
        let amount = min(voucher.remaining, outstanding)
        voucher.redeem(amount)
        deductions.append(VoucherDeduction(code: voucher.code, amount: amount, at: time))
        return VoucherUse(code: voucher.code, amount: amount, invoice: number, outcome: outcome)
    }

    private var outcome: PaymentOutcome {
        isPaid ? .nowPaid(credit: credit) : .partiallyPaid(outstanding: outstanding)
    }
}

/// A stored invoice is rebuilt through ``Invoice/init(number:client:project:quote:plan:contractMonth:issuedAt:items:credit:deductions:payments:)``
/// (each line re-priced by ``InvoiceLine``'s decoder), and its stored totals must equal the sums
/// of its lines: a row that the rules could not have produced does not decode.
extension Invoice {
    private enum CodingKeys: String, CodingKey {
        case number, client, project, quote, plan, contractMonth, issuedAt, items, credit, net, vat, total
        case deductions, payments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let invoice = try Invoice(
            number: container.decode(InvoiceNumber.self, forKey: .number),
            client: container.decode(String.self, forKey: .client),
            project: container.decode(String.self, forKey: .project),
            quote: container.decode(String.self, forKey: .quote),
            plan: container.decode(Plan.self, forKey: .plan),
            contractMonth: container.decodeIfPresent(Int.self, forKey: .contractMonth),
            issuedAt: container.decode(UnixTime.self, forKey: .issuedAt),
            items: container.decode([InvoiceItem].self, forKey: .items),
            credit: container.decode(Minutes.self, forKey: .credit),
            deductions: container.decode([VoucherDeduction].self, forKey: .deductions),
            payments: container.decode([Payment].self, forKey: .payments))
        guard try container.decode(Cents.self, forKey: .net) == invoice.net,
              try container.decode(Cents.self, forKey: .vat) == invoice.vat,
              try container.decode(Cents.self, forKey: .total) == invoice.total
        else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "stored totals differ from the sum of the lines"))
        }
        self = invoice
    }
}

/// A voucher deducted from an invoice.
public struct VoucherUse: Hashable, Sendable {
    public let code: String
    public let amount: Cents
    public let invoice: InvoiceNumber
    public let outcome: PaymentOutcome

    /// The ledger entry recording the use.
    public var entry: LedgerEntryKind { .voucherApplied(code: code, amount: amount, invoice: invoice) }
}
