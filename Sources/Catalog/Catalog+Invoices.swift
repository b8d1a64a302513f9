import Foundation
import Ledger
import SQLKit

extension Catalog {
    // MARK: Instance API: one transaction each

    /// The client's invoices by number. `.notFound` for an unknown client.
    public func invoices(client: String) async throws -> [Invoice] {
        try await read { db in
            _ = try await Catalog.requireClient(db, client)
            return try await db.select().column("data").from("invoices")
                .where("client", .equal, SQLBind(client)).orderBy("year").orderBy("sequence").all()
                .map(Catalog.invoice(from:))
        }
    }

    public func invoice(_ number: InvoiceNumber) async throws -> Invoice? {
        try await read { db in try await Catalog.fetchInvoice(db, number: number) }
    }

    /// The monthly contract started by accepting quote `quote`, or nil (unknown quote, not
    /// accepted, or not monthly).
    public func contract(quote: String) async throws -> MonthlyContract? {
        try await read { db in try await Catalog.fetchContract(db, quote: quote) }
    }

    /// Records a payment. The domain refuses a non-positive amount, a blank reference, an
    /// overpayment and any payment on a paid invoice (`LedgerError`), so the payment that
    /// completes the invoice — and only it — appends the credit entry to the client's chain,
    /// in the same transaction. Feed: "invoice.state" {"invoice","state":"partially-paid"|"paid",
    /// "paid_cents","outstanding_cents"}, then for the completing payment "ledger.entry".
    public func recordPayment(
        _ number: InvoiceNumber, amount: Cents, reference: String, at time: Date = Date()
    ) async throws -> (invoice: Invoice, outcome: PaymentOutcome) {
        try await ledgerTransaction { db in
            try await Catalog.recordPayment(db, number, amount: amount, reference: reference, at: time)
        }
    }

    /// Issues the invoice of month `month` (1-based) of the monthly contract of quote
    /// `quote`, numbered like any invoice. `.notFound` if the quote has no contract,
    /// `.conflict` if that month is invoiced already (month 1 is, by the acceptance); the
    /// domain refuses months outside the contract. Feed: invoice.state issued.
    public func issueContractInvoice(quote: String, month: Int, at time: Date = Date()) async throws -> Invoice {
        try await ledgerTransaction { db in try await Catalog.issueContractInvoice(db, quote: quote, month: month, at: time) }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `recordPayment` on the caller's transaction.
    public static func recordPayment(
        _ db: any SQLDatabase, _ number: InvoiceNumber, amount: Cents, reference: String, at time: Date = Date()
    ) async throws -> (invoice: Invoice, outcome: PaymentOutcome) {
        try await atomically(db) {
            guard isValidText(reference, maxLength: 200), !reference.contains("\n") else {
                throw CatalogError.invalid("a payment reference is at most 200 characters on one line")
            }
            var invoice = try await requireInvoice(db, number)
            let now = timestamp(time)
            let outcome = try invoice.record(Payment(amount: amount, reference: reference, at: UnixTime(now)))
            try await updateInvoice(db, invoice, at: now)
            try await appendInvoiceChange(db, invoice, at: now)
            if case .nowPaid = outcome {
                _ = try await appendLedgerEntry(db, client: invoice.client, project: invoice.project, kind: invoice.creditEntry, at: now)
            }
            return (invoice, outcome)
        }
    }

    /// `issueContractInvoice` on the caller's transaction.
    public static func issueContractInvoice(
        _ db: any SQLDatabase, quote: String, month: Int, at time: Date = Date()
    ) async throws -> Invoice {
        try await atomically(db) {
            guard let contract = try await fetchContract(db, quote: quote) else {
                throw CatalogError.notFound("no monthly contract for quote \(quote)")
            }
            if let existing = try await db.select().column("number").from("invoices")
                .where("quote", .equal, SQLBind(quote)).where("contract_month", .equal, SQLBind(month)).first()
            {
                let number = try existing.decode(column: "number", as: String.self)
                throw CatalogError.conflict("month \(month) of the contract of quote \(quote) is invoiced already (\(number))")
            }
            let now = timestamp(time)
            let number = try await nextInvoiceNumber(db, at: UnixTime(now))
            let invoice = try contract.invoice(month: month, number: number, at: UnixTime(now))
            try await insertInvoice(db, invoice, at: now)
            return invoice
        }
    }

    /// The invoice `number`, read on the given database.
    public static func fetchInvoice(_ db: any SQLDatabase, number: InvoiceNumber) async throws -> Invoice? {
        try await db.select().column("data").from("invoices").where("number", .equal, SQLBind(number.description)).first()
            .map(invoice(from:))
    }

    /// The monthly contract of quote `quote`, read on the given database.
    public static func fetchContract(_ db: any SQLDatabase, quote: String) async throws -> MonthlyContract? {
        try await db.select().column("data").from("contracts").where("quote", .equal, SQLBind(quote)).first()
            .map { try decodeStored(MonthlyContract.self, from: try $0.decode(column: "data", as: String.self), what: "contract") }
    }

    // MARK: Numbering

    /// Draws the next invoice number for the Europe/Rome year of `time`: the domain computes
    /// it from the highest number ever issued (a new year restarts at 1; a year before the
    /// last one is refused with `invoiceYearBehind`), and the year's counter row moves in the
    /// caller's transaction, so a rolled-back step returns the number and none is skipped.
    ///
    /// The UPDATE only succeeds from the value read (and the insert of a new year meets the
    /// primary key), so two writers that read the same last number — possible on PostgreSQL,
    /// not under SQLite's write lock — cannot both take the next one.
    static func nextInvoiceNumber(_ db: any SQLDatabase, at time: UnixTime) async throws -> InvoiceNumber {
        let year = CivilTimeZone.europeRome.local(time).date.year
        var last: InvoiceNumber?
        if let row = try await db.select().columns("year", "last_sequence").from("invoice_sequences")
            .orderBy("year", .descending).limit(1).first()
        {
            let lastYear = try row.decode(column: "year", as: Int.self)
            let lastSequence = try row.decode(column: "last_sequence", as: Int.self)
            guard let number = InvoiceNumber(year: lastYear, sequence: lastSequence) else {
                throw CatalogError.invalid("the stored invoice counter of \(lastYear) is damaged")
            }
            last = number
        }
        let next = try InvoiceNumber.next(after: last, year: year)
        if let last, last.year == next.year {
            guard try await db.update("invoice_sequences")
                .set("last_sequence", to: SQLBind(next.sequence))
                .where("year", .equal, SQLBind(year))
                .where("last_sequence", .equal, SQLBind(last.sequence))
                .returning("year")
                .first() != nil
            else { throw CatalogError.conflict("another invoice took number \(next) first; try again") }
        } else {
            try await db.insert(into: "invoice_sequences").columns("year", "last_sequence")
                .values(SQLBind(year), SQLBind(next.sequence)).run()
        }
        return next
    }

    // MARK: Rows

    static func invoice(from row: any SQLRow) throws -> Invoice {
        try decodeStored(Invoice.self, from: try row.decode(column: "data", as: String.self), what: "invoice")
    }

    static func requireInvoice(_ db: any SQLDatabase, _ number: InvoiceNumber) async throws -> Invoice {
        guard let invoice = try await fetchInvoice(db, number: number) else { throw CatalogError.notFound("no invoice \(number)") }
        return invoice
    }

    /// Stores a newly issued invoice and announces it: "invoice.state" issued.
    static func insertInvoice(_ db: any SQLDatabase, _ invoice: Invoice, at now: Int64) async throws {
        try await db.insert(into: "invoices")
            .columns(
                "number", "year", "sequence", "client", "project", "quote", "contract_month", "state", "data",
                "issued_at", "updated_at")
            .values(
                SQLBind(invoice.number.description), SQLBind(invoice.number.year), SQLBind(invoice.number.sequence),
                SQLBind(invoice.client), SQLBind(invoice.project), SQLBind(invoice.quote), SQLBind(invoice.contractMonth),
                SQLBind(invoiceState(invoice)), SQLBind(try storedJSON(invoice)), SQLBind(invoice.issuedAt.rawValue),
                SQLBind(now))
            .run()
        try await appendInvoiceChange(db, invoice, at: now)
    }

    static func updateInvoice(_ db: any SQLDatabase, _ invoice: Invoice, at now: Int64) async throws {
        try await db.update("invoices")
            .set("state", to: SQLBind(invoiceState(invoice)))
            .set("data", to: SQLBind(try storedJSON(invoice)))
            .set("updated_at", to: SQLBind(now))
            .where("number", .equal, SQLBind(invoice.number.description))
            .run()
    }

    /// "issued" until something is paid or deducted, then "partially-paid", then "paid".
    public static func invoiceState(_ invoice: Invoice) -> String {
        if invoice.isPaid { return "paid" }
        return invoice.paid > .zero || invoice.deducted > .zero ? "partially-paid" : "issued"
    }

    /// "invoice.state": {"invoice","state","total_cents"} when issued; {"invoice","state",
    /// "paid_cents","deducted_cents","outstanding_cents"} after a payment or a voucher.
    static func appendInvoiceChange(_ db: any SQLDatabase, _ invoice: Invoice, at now: Int64) async throws {
        struct InvoiceChange: Encodable {
            var invoice: String
            var state: String
            var quote: String?
            var contractMonth: Int?
            var totalCents: Int64?
            var paidCents: Int64?
            var deductedCents: Int64?
            var outstandingCents: Int64?

            enum CodingKeys: String, CodingKey {
                case invoice, state, quote
                case contractMonth = "contract_month"
                case totalCents = "total_cents"
                case paidCents = "paid_cents"
                case deductedCents = "deducted_cents"
                case outstandingCents = "outstanding_cents"
            }
        }
        let state = invoiceState(invoice)
        let issued = state == "issued"
        let change = InvoiceChange(
            invoice: invoice.number.description, state: state,
            quote: issued ? invoice.quote : nil,
            contractMonth: issued ? invoice.contractMonth : nil,
            totalCents: invoice.total.rawValue,
            paidCents: issued ? nil : invoice.paid.rawValue,
            deductedCents: issued ? nil : invoice.deducted.rawValue,
            outstandingCents: issued ? nil : invoice.outstanding.rawValue)
        _ = try await appendChange(
            db, client: invoice.client, kind: "invoice.state", project: invoice.project, path: nil,
            data: try jsonObject(change), at: now)
    }
}
