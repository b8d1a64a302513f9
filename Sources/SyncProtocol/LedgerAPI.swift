/// Wire types of the hours ledger: quotes, invoices, payments, hours, the
/// ledger itself, disputes and tickets. Money in integer cents, time in integer
/// minutes, instants in Unix seconds.

/// A quoted service: a name and its minutes.
public struct ServiceMinutes: Codable, Hashable, Sendable {
    public var name: String
    public var minutes: Int64

    public init(name: String, minutes: Int64) {
        self.name = name
        self.minutes = minutes
    }
}

/// `POST /v1/clients/{c}/quotes` (staff).
public struct CreateQuoteRequest: Codable, Hashable, Sendable {
    public var project: String
    /// `none`, `monthly` or `one-time`; the client's plan when absent.
    public var plan: String?
    public var services: [ServiceMinutes]

    public init(project: String, plan: String? = nil, services: [ServiceMinutes]) {
        self.project = project
        self.plan = plan
        self.services = services
    }
}

/// `POST /v1/quotes/{q}/reject`, `POST /v1/disputes/{d}/resolve` and friends: a reason.
public struct ReasonRequest: Codable, Hashable, Sendable {
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
}

/// A quote as the API shows it.
public struct QuoteInfo: Codable, Hashable, Sendable {
    public var id: String
    public var client: String
    public var project: String
    public var plan: String
    public var state: String
    public var services: [ServiceMinutes]
    /// Frozen at acceptance.
    public var rateCents: Int64?
    public var discountPercent: Int64?
    /// The invoice issued on acceptance.
    public var invoice: String?
    /// SHA-256 (hex) of the exact text accepted.
    public var acceptedSHA256: String?

    public init(id: String, client: String, project: String, plan: String, state: String, services: [ServiceMinutes],
                rateCents: Int64? = nil, discountPercent: Int64? = nil, invoice: String? = nil, acceptedSHA256: String? = nil) {
        self.id = id
        self.client = client
        self.project = project
        self.plan = plan
        self.state = state
        self.services = services
        self.rateCents = rateCents
        self.discountPercent = discountPercent
        self.invoice = invoice
        self.acceptedSHA256 = acceptedSHA256
    }

    private enum CodingKeys: String, CodingKey {
        case id, client, project, plan, state, services, invoice
        case rateCents = "rate_cents", discountPercent = "discount_percent", acceptedSHA256 = "accepted_sha256"
    }
}

/// An invoice line as the API shows it.
public struct InvoiceLineInfo: Codable, Hashable, Sendable {
    public var description: String
    public var minutes: Int64
    public var listCents: Int64
    public var discountCents: Int64
    public var netCents: Int64
    public var vatCents: Int64
    public var totalCents: Int64

    public init(description: String, minutes: Int64, listCents: Int64, discountCents: Int64, netCents: Int64, vatCents: Int64, totalCents: Int64) {
        self.description = description
        self.minutes = minutes
        self.listCents = listCents
        self.discountCents = discountCents
        self.netCents = netCents
        self.vatCents = vatCents
        self.totalCents = totalCents
    }

    private enum CodingKeys: String, CodingKey {
        case description, minutes
        case listCents = "list_cents", discountCents = "discount_cents", netCents = "net_cents"
        case vatCents = "vat_cents", totalCents = "total_cents"
    }
}

/// An invoice: `invoice list --json` prints a list of these.
public struct InvoiceInfo: Codable, Hashable, Sendable {
    public var number: String
    public var client: String
    public var project: String
    /// `issued`, `partially-paid` or `paid`.
    public var status: String
    public var netCents: Int64
    public var vatCents: Int64
    public var totalCents: Int64
    public var paidCents: Int64
    public var deductedCents: Int64
    public var creditMinutes: Int64
    public var lines: [InvoiceLineInfo]

    public init(number: String, client: String, project: String, status: String, netCents: Int64, vatCents: Int64, totalCents: Int64,
                paidCents: Int64, deductedCents: Int64, creditMinutes: Int64, lines: [InvoiceLineInfo]) {
        self.number = number
        self.client = client
        self.project = project
        self.status = status
        self.netCents = netCents
        self.vatCents = vatCents
        self.totalCents = totalCents
        self.paidCents = paidCents
        self.deductedCents = deductedCents
        self.creditMinutes = creditMinutes
        self.lines = lines
    }

    private enum CodingKeys: String, CodingKey {
        case number, client, project, status, lines
        case netCents = "net_cents", vatCents = "vat_cents", totalCents = "total_cents", paidCents = "paid_cents"
        case deductedCents = "deducted_cents", creditMinutes = "credit_minutes"
    }
}

/// `POST /v1/invoices/{number}/payments` (staff). The number is written `2026-0001` in the path.
public struct PaymentRequest: Codable, Hashable, Sendable {
    public var amountCents: Int64
    public var reference: String

    public init(amountCents: Int64, reference: String) {
        self.amountCents = amountCents
        self.reference = reference
    }

    private enum CodingKeys: String, CodingKey {
        case reference
        case amountCents = "amount_cents"
    }
}

/// `POST /v1/clients/{c}/hours` (staff).
public struct HourLogRequest: Codable, Hashable, Sendable {
    public var project: String
    public var minutes: Int64
    public var service: String
    public var phase: String?
    public var note: String?

    public init(project: String, minutes: Int64, service: String, phase: String? = nil, note: String? = nil) {
        self.project = project
        self.minutes = minutes
        self.service = service
        self.phase = phase
        self.note = note
    }
}

/// The answer to an hour log or a reversal: the entry and the project's balance after it.
public struct EntryResult: Codable, Hashable, Sendable {
    /// The entry's sequence number in the client's ledger.
    public var id: Int64
    public var project: String
    public var remainingMinutes: Int64
    public var overageMinutes: Int64
    /// Budget thresholds this entry crossed, in percent.
    public var alerts: [Int64]

    public init(id: Int64, project: String, remainingMinutes: Int64, overageMinutes: Int64, alerts: [Int64]) {
        self.id = id
        self.project = project
        self.remainingMinutes = remainingMinutes
        self.overageMinutes = overageMinutes
        self.alerts = alerts
    }

    private enum CodingKeys: String, CodingKey {
        case id, project, alerts
        case remainingMinutes = "remaining_minutes", overageMinutes = "overage_minutes"
    }
}

/// One project's hours: `ledger --json` prints `{"projects": [...], "entries": [...]}`.
public struct ProjectHours: Codable, Hashable, Sendable {
    public var project: String
    public var creditedMinutes: Int64
    public var usedMinutes: Int64
    public var remainingMinutes: Int64
    /// Used minutes per phase ("" for hours logged without one).
    public var phases: [String: Int64]

    public init(project: String, creditedMinutes: Int64, usedMinutes: Int64, remainingMinutes: Int64, phases: [String: Int64]) {
        self.project = project
        self.creditedMinutes = creditedMinutes
        self.usedMinutes = usedMinutes
        self.remainingMinutes = remainingMinutes
        self.phases = phases
    }

    private enum CodingKeys: String, CodingKey {
        case project, phases
        case creditedMinutes = "credited_minutes", usedMinutes = "used_minutes", remainingMinutes = "remaining_minutes"
    }
}

/// One ledger entry, flattened for people and spreadsheets.
public struct LedgerEntryInfo: Codable, Hashable, Sendable {
    public var seq: Int64
    public var project: String
    /// credit, debit, expiry, reversal, voucher-issued, voucher-applied.
    public var kind: String
    /// Signed effect on the project's remaining minutes.
    public var minutes: Int64
    public var cents: Int64?
    public var service: String?
    public var phase: String?
    public var note: String?
    public var reference: String?
    public var overageMinutes: Int64?
    public var time: Int64
    /// SHA-256 chain link (hex).
    public var hash: String

    public init(seq: Int64, project: String, kind: String, minutes: Int64, cents: Int64? = nil, service: String? = nil, phase: String? = nil,
                note: String? = nil, reference: String? = nil, overageMinutes: Int64? = nil, time: Int64, hash: String) {
        self.seq = seq
        self.project = project
        self.kind = kind
        self.minutes = minutes
        self.cents = cents
        self.service = service
        self.phase = phase
        self.note = note
        self.reference = reference
        self.overageMinutes = overageMinutes
        self.time = time
        self.hash = hash
    }

    private enum CodingKeys: String, CodingKey {
        case seq, project, kind, minutes, cents, service, phase, note, reference, time, hash
        case overageMinutes = "overage_minutes"
    }
}

/// `GET /v1/clients/{c}/ledger`.
public struct LedgerResponse: Codable, Hashable, Sendable {
    public var projects: [ProjectHours]
    public var entries: [LedgerEntryInfo]

    public init(projects: [ProjectHours], entries: [LedgerEntryInfo]) {
        self.projects = projects
        self.entries = entries
    }
}

/// `POST /v1/clients/{c}/disputes`: an hour entry (by its ledger sequence) or an
/// invoice (with the disputed amount), and why.
public struct OpenDisputeRequest: Codable, Hashable, Sendable {
    public var entry: Int64?
    public var invoice: String?
    public var amountCents: Int64?
    public var reason: String

    public init(entry: Int64? = nil, invoice: String? = nil, amountCents: Int64? = nil, reason: String) {
        self.entry = entry
        self.invoice = invoice
        self.amountCents = amountCents
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey {
        case entry, invoice, reason
        case amountCents = "amount_cents"
    }
}

/// `POST /v1/disputes/{d}/resolve` (staff).
public struct ResolveDisputeRequest: Codable, Hashable, Sendable {
    public var justified: Bool
    public var reason: String

    public init(justified: Bool, reason: String) {
        self.justified = justified
        self.reason = reason
    }
}

public struct DisputeInfo: Codable, Hashable, Sendable {
    public var id: String
    public var client: String
    public var project: String
    /// `entry:<seq>` or `invoice:<number>`.
    public var subject: String
    public var reason: String
    public var valueCents: Int64
    /// open, justified, rejected.
    public var state: String
    public var resolution: String?
    public var voucher: String?

    public init(id: String, client: String, project: String, subject: String, reason: String, valueCents: Int64, state: String,
                resolution: String? = nil, voucher: String? = nil) {
        self.id = id
        self.client = client
        self.project = project
        self.subject = subject
        self.reason = reason
        self.valueCents = valueCents
        self.state = state
        self.resolution = resolution
        self.voucher = voucher
    }

    private enum CodingKeys: String, CodingKey {
        case id, client, project, subject, reason, state, resolution, voucher
        case valueCents = "value_cents"
    }
}

/// `POST /v1/invoices/{number}/vouchers`: apply a voucher as a deduction line.
public struct ApplyVoucherRequest: Codable, Hashable, Sendable {
    public var code: String

    public init(code: String) { self.code = code }
}

/// `POST /v1/clients/{c}/tickets`.
public struct OpenTicketRequest: Codable, Hashable, Sendable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }
}

/// `POST /v1/tickets/{t}/replies`.
public struct TicketReplyRequest: Codable, Hashable, Sendable {
    public var body: String

    public init(body: String) { self.body = body }
}

public struct TicketInfo: Codable, Hashable, Sendable {
    public var id: String
    public var client: String
    public var subject: String
    public var priority: String
    public var state: String
    public var opened: Int64
    public var deadline: Int64
    public var firstResponse: Int64?

    public init(id: String, client: String, subject: String, priority: String, state: String, opened: Int64, deadline: Int64, firstResponse: Int64?) {
        self.id = id
        self.client = client
        self.subject = subject
        self.priority = priority
        self.state = state
        self.opened = opened
        self.deadline = deadline
        self.firstResponse = firstResponse
    }

    private enum CodingKeys: String, CodingKey {
        case id, client, subject, priority, state, opened, deadline
        case firstResponse = "first_response"
    }
}

/// `{"id": …}`: what `quote create`, `hours log` and `dispute open` print with `--json`.
public struct IDResponse: Codable, Hashable, Sendable {
    public var id: String

    public init(id: String) { self.id = id }
}
