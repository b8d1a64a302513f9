import Foundation
import Ledger
import SQLKit

/// Where a ticket is in the catalog: the domain's ``Ticket`` knows its deadline and first
/// response; opening and closing are the catalog's.
public enum TicketState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for staff's first response.
    case open
    /// Staff have responded at least once.
    case answered
    case closed
}

/// One message of a ticket's conversation.
public struct TicketMessage: Sendable, Hashable {
    /// 1, 2, 3, … within the ticket.
    public var position: Int
    public var body: String
    /// The token that wrote it.
    public var tokenID: Int64
    public var fromStaff: Bool
    public var at: Date
}

/// A ticket with its catalog state and conversation.
public struct TicketThread: Sendable, Hashable {
    public var ticket: Ticket
    public var state: TicketState
    public var closedAt: Date?
    public var messages: [TicketMessage]
}

extension Catalog {
    // MARK: Instance API: one transaction each

    /// Opens ticket "T<n>" for the client; the domain sets its priority and first-response
    /// deadline from `policy`'s terms for the client's plan (monthly: working hours
    /// Mon–Fri 09–19 Europe/Rome without Italian holidays; one-time: 24/7, top priority).
    /// A non-blank `body` is the first message. `.notFound` for an unknown client,
    /// `.invalid` for a subject that is not 1–200 characters on one line.
    /// Feed: "ticket.state" {"ticket","state":"open","priority","deadline"} (deadline in Unix seconds).
    public func openTicket(
        client: String, subject: String, body: String, policy: SupportPolicy, tokenID: Int64, at time: Date = Date()
    ) async throws -> Ticket {
        try await ledgerTransaction { db in
            try await Catalog.openTicket(db, client: client, subject: subject, body: body, policy: policy, tokenID: tokenID, at: time)
        }
    }

    /// Adds a message. The first staff message is the ticket's first response (recorded
    /// once; feed: ticket.state "answered"). `.conflict` on a closed ticket, `.invalid` for a
    /// blank body.
    public func replyTicket(_ id: String, body: String, tokenID: Int64, fromStaff: Bool, at time: Date = Date()) async throws -> Ticket {
        try await ledgerTransaction { db in
            try await Catalog.replyTicket(db, id, body: body, tokenID: tokenID, fromStaff: fromStaff, at: time)
        }
    }

    /// Closes the ticket; `.conflict` if closed already. Feed: ticket.state "closed".
    public func closeTicket(_ id: String, at time: Date = Date()) async throws -> Ticket {
        try await ledgerTransaction { db in try await Catalog.closeTicket(db, id, at: time) }
    }

    public func ticket(_ id: String) async throws -> Ticket? {
        try await read { db in try await Catalog.fetchTicketThread(db, id: id, messages: false)?.ticket }
    }

    /// The ticket with its state, closing time and messages.
    public func ticketThread(_ id: String) async throws -> TicketThread? {
        try await read { db in try await Catalog.fetchTicketThread(db, id: id, messages: true) }
    }

    /// One client's tickets in opening order, or (client nil) every client's in staff queue
    /// order: priority, then deadline (``Ticket/staffQueueOrder(_:_:)``). `includeClosed`
    /// false leaves closed tickets out (the staff queue proper). `.notFound` for an unknown
    /// client.
    public func tickets(client: String?, includeClosed: Bool = true) async throws -> [Ticket] {
        try await read { db in
            let query = db.select().column("data").from("tickets")
            if let client {
                _ = try await Catalog.requireClient(db, client)
                query.where("client", .equal, SQLBind(client))
            }
            if !includeClosed { query.where("state", .notEqual, SQLBind(TicketState.closed.rawValue)) }
            let tickets = try await query.orderBy("ordinal").all().map(Catalog.ticket(from:))
            return client == nil ? tickets.staffQueue() : tickets
        }
    }

    // MARK: Steps on a caller's transaction (for `idempotent(…)`)

    /// `openTicket` on the caller's transaction.
    public static func openTicket(
        _ db: any SQLDatabase, client: String, subject: String, body: String, policy: SupportPolicy, tokenID: Int64,
        at time: Date = Date()
    ) async throws -> Ticket {
        try await atomically(db) {
            guard isValidLabel(subject, maxLength: 200) else {
                throw CatalogError.invalid("a ticket subject is 1 to 200 characters on one line")
            }
            try checkMessage(body, allowBlank: true)
            let owner = try await requireClient(db, client)
            let now = timestamp(time)
            let ordinal = try await nextCounter(db, "ticket")
            let ticket = try Ticket.open(
                id: "T\(ordinal)", client: client, subject: subject, plan: owner.plan, at: UnixTime(now), policy: policy)
            try await db.insert(into: "tickets")
                .columns("id", "ordinal", "client", "state", "priority_rank", "deadline", "data", "opened_at", "closed_at")
                .values(
                    SQLBind(ticket.id), SQLBind(ordinal), SQLBind(client), SQLBind(TicketState.open.rawValue),
                    SQLBind(ticket.priority.rank), SQLBind(ticket.deadline.rawValue), SQLBind(try storedJSON(ticket)),
                    SQLBind(now), SQLBind(Int64?.none))
                .run()
            if !body.allSatisfy(\.isWhitespace) {
                try await insertTicketMessage(db, ticket: ticket.id, body: body, tokenID: tokenID, fromStaff: false, at: now)
            }
            try await appendTicketChange(db, ticket, state: .open, at: now)
            return ticket
        }
    }

    /// `replyTicket` on the caller's transaction.
    public static func replyTicket(
        _ db: any SQLDatabase, _ id: String, body: String, tokenID: Int64, fromStaff: Bool, at time: Date = Date()
    ) async throws -> Ticket {
        try await atomically(db) {
            try checkMessage(body, allowBlank: false)
            guard var thread = try await fetchTicketThread(db, id: id, messages: false) else {
                throw CatalogError.notFound("no ticket \(id)")
            }
            guard thread.state != .closed else { throw CatalogError.conflict("ticket \(id) is closed") }
            let now = timestamp(time)
            try await insertTicketMessage(db, ticket: id, body: body, tokenID: tokenID, fromStaff: fromStaff, at: now)
            if fromStaff, thread.ticket.firstResponseAt == nil {
                thread.ticket.respond(at: UnixTime(now))
                try await db.update("tickets")
                    .set("state", to: SQLBind(TicketState.answered.rawValue))
                    .set("data", to: SQLBind(try storedJSON(thread.ticket)))
                    .where("id", .equal, SQLBind(id))
                    .run()
                try await appendTicketChange(db, thread.ticket, state: .answered, at: now)
            }
            return thread.ticket
        }
    }

    /// `closeTicket` on the caller's transaction.
    public static func closeTicket(_ db: any SQLDatabase, _ id: String, at time: Date = Date()) async throws -> Ticket {
        try await atomically(db) {
            guard let thread = try await fetchTicketThread(db, id: id, messages: false) else {
                throw CatalogError.notFound("no ticket \(id)")
            }
            guard thread.state != .closed else { throw CatalogError.conflict("ticket \(id) is closed already") }
            let now = timestamp(time)
            try await db.update("tickets")
                .set("state", to: SQLBind(TicketState.closed.rawValue))
                .set("closed_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(id))
                .run()
            try await appendTicketChange(db, thread.ticket, state: .closed, at: now)
            return thread.ticket
        }
    }

    /// The ticket `id` with its state (and its messages if asked), read on the given database.
    public static func fetchTicketThread(_ db: any SQLDatabase, id: String, messages: Bool = true) async throws -> TicketThread? {
        guard let row = try await db.select().columns("data", "state", "closed_at").from("tickets")
            .where("id", .equal, SQLBind(id)).first()
        else { return nil }
        let stateName = try row.decode(column: "state", as: String.self)
        guard let state = TicketState(rawValue: stateName) else { throw CatalogError.invalid("a stored ticket has an unknown state \(stateName)") }
        var thread = TicketThread(
            ticket: try ticket(from: row), state: state,
            closedAt: try row.decode(column: "closed_at", as: Int64?.self).map { date($0) }, messages: [])
        if messages {
            thread.messages = try await db.select().columns("position", "body", "token_id", "from_staff", "created_at")
                .from("ticket_messages").where("ticket", .equal, SQLBind(id)).orderBy("position").all()
                .map { row in
                    TicketMessage(
                        position: try row.decode(column: "position", as: Int.self),
                        body: try row.decode(column: "body", as: String.self),
                        tokenID: try row.decode(column: "token_id", as: Int64.self),
                        fromStaff: try row.decode(column: "from_staff", as: Bool.self),
                        at: date(try row.decode(column: "created_at", as: Int64.self)))
                }
        }
        return thread
    }

    // MARK: Rows

    static func ticket(from row: any SQLRow) throws -> Ticket {
        try decodeStored(Ticket.self, from: try row.decode(column: "data", as: String.self), what: "ticket")
    }

    static func checkMessage(_ body: String, allowBlank: Bool) throws {
        guard allowBlank || !body.allSatisfy(\.isWhitespace) else { throw CatalogError.invalid("a message cannot be empty") }
        guard isValidText(body, maxLength: 20_000) else {
            throw CatalogError.invalid("a message is at most 20000 characters, without control characters except newlines")
        }
    }

    static func insertTicketMessage(
        _ db: any SQLDatabase, ticket: String, body: String, tokenID: Int64, fromStaff: Bool, at now: Int64
    ) async throws {
        let last = try await db.select().column(SQLFunction("MAX", args: SQLColumn("position")), as: "last")
            .from("ticket_messages").where("ticket", .equal, SQLBind(ticket)).first()?
            .decode(column: "last", as: Int?.self) ?? nil
        try await db.insert(into: "ticket_messages")
            .columns("ticket", "position", "token_id", "from_staff", "body", "created_at")
            .values(
                SQLBind(ticket), SQLBind((last ?? 0) + 1), SQLBind(tokenID), SQLBind(fromStaff), SQLBind(body), SQLBind(now))
            .run()
    }

    /// "ticket.state": {"ticket","state"} (+ "priority" and "deadline" when opened).
    static func appendTicketChange(_ db: any SQLDatabase, _ ticket: Ticket, state: TicketState, at now: Int64) async throws {
        struct TicketChange: Encodable {
            var ticket: String
            var state: String
            var priority: String?
            var deadline: Int64?
        }
        let opened = state == .open
        _ = try await appendChange(
            db, client: ticket.client, kind: "ticket.state", project: nil, path: nil,
            data: try jsonObject(TicketChange(
                ticket: ticket.id, state: state.rawValue, priority: opened ? ticket.priority.rawValue : nil,
                deadline: opened ? ticket.deadline.rawValue : nil)),
            at: now)
    }
}
