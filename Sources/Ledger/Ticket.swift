/// How urgently staff handle a ticket; the staff queue sorts by this first.
public enum TicketPriority: String, Hashable, Sendable, Codable, CaseIterable {
    /// One-time plans: 24/7, highest priority.
    case top
    /// Monthly plans.
    case standard
    /// Clients without a plan: served like monthly plans, after them.
    case low

    /// Queue position of the priority: 0 is served first.
    public var rank: Int {
        switch self {
        case .top: 0
        case .standard: 1
        case .low: 2
        }
    }
}

/// A plan's support promise: when time counts, how much of it until the first response, and
/// the ticket's place in the queue.
public struct SupportTerms: Hashable, Sendable, Codable {
    public let calendar: SupportCalendar
    /// Support time (working minutes on working hours) until the first response is due.
    public let firstResponse: Minutes
    public let priority: TicketPriority

    public init(calendar: SupportCalendar, firstResponse: Minutes, priority: TicketPriority) {
        self.calendar = calendar
        self.firstResponse = firstResponse
        self.priority = priority
    }
}

/// Support terms per plan, as configured.
///
/// Defaults: monthly, 4 working hours on Mon–Fri 09:00–19:00 Europe/Rome without Italian
/// holidays, standard priority; one-time, 1 hour 24/7, top priority; no plan, the monthly
/// terms (same calendar, same 4 working hours) at low priority, so paying plans go first.
public struct SupportPolicy: Hashable, Sendable, Codable {
    public var monthly: SupportTerms
    public var oneTime: SupportTerms
    public var noPlan: SupportTerms

    public init(
        monthly: SupportTerms = SupportTerms(
            calendar: .workingHours(.italianOffice), firstResponse: 240, priority: .standard),
        oneTime: SupportTerms = SupportTerms(calendar: .always, firstResponse: 60, priority: .top),
        noPlan: SupportTerms = SupportTerms(calendar: .workingHours(.italianOffice), firstResponse: 240, priority: .low)
    ) {
        self.monthly = monthly
        self.oneTime = oneTime
        self.noPlan = noPlan
    }

    public static let standard = SupportPolicy()

    public func terms(for plan: Plan) -> SupportTerms {
        switch plan {
        case .none: noPlan
        case .monthly: monthly
        case .oneTime: oneTime
        }
    }
}

/// A client's support ticket and its first-response deadline.
public struct Ticket: Hashable, Sendable, Codable {
    public let id: String
    public let client: String
    public let subject: String
    /// The client's plan when the ticket was opened: it fixes the terms below.
    public let plan: Plan
    public let openedAt: UnixTime
    public let priority: TicketPriority
    /// When the first response is due.
    public let deadline: UnixTime
    public private(set) var firstResponseAt: UnixTime?

    /// Opens a ticket under the client's plan's support terms.
    public static func open(
        id: String, client: String, subject: String, plan: Plan, at time: UnixTime, policy: SupportPolicy
    ) throws(LedgerError) -> Ticket {
        let terms = policy.terms(for: plan)
        return Ticket(
            id: id, client: client, subject: subject, plan: plan, openedAt: time, priority: terms.priority,
            deadline: try terms.calendar.deadline(from: time, after: terms.firstResponse))
    }

    public init(
        id: String, client: String, subject: String, plan: Plan, openedAt: UnixTime, priority: TicketPriority,
        deadline: UnixTime, firstResponseAt: UnixTime? = nil
    ) {
        self.id = id
        self.client = client
        self.subject = subject
        self.plan = plan
        self.openedAt = openedAt
        self.priority = priority
        self.deadline = deadline
        self.firstResponseAt = firstResponseAt
    }

    /// Records the first staff response; later responses do not move it.
    public mutating func respond(at time: UnixTime) {
        if firstResponseAt == nil { firstResponseAt = time }
    }

    /// Still waiting for a first response after its deadline.
    public func isOverdue(at time: UnixTime) -> Bool { firstResponseAt == nil && time > deadline }

    /// The staff queue's order: priority, then deadline, then opening time, then id, so the
    /// order is total and stable across calls.
    public static func staffQueueOrder(_ a: Ticket, _ b: Ticket) -> Bool {
        (a.priority.rank, a.deadline, a.openedAt, a.id) < (b.priority.rank, b.deadline, b.openedAt, b.id)
    }
}

extension Sequence where Element == Ticket {
    /// The tickets in staff queue order (``Ticket/staffQueueOrder(_:_:)``).
    public func staffQueue() -> [Ticket] { sorted(by: Ticket.staffQueueOrder) }
}
