import Foundation
import Ledger
import Testing
@testable import Catalog

@Suite("Catalog: support tickets")
struct TicketStorageTests {
    @Test("a monthly client's ticket opened Friday 18:30 Rome is due Monday 12:30: 30 minutes Friday, 3 h 30 Monday")
    func monthlyDeadline() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let cursor = try await catalog.latestChangeSequence(client: "acme")
        let friday = rome(2026, 3, 6, 18, 30)
        let ticket = try await catalog.openTicket(
            client: "acme", subject: "Posts not scheduled", body: "Since Thursday.", policy: .standard, tokenID: 5, at: friday)
        #expect(ticket.id == "T1" && ticket.plan == .monthly && ticket.priority == .standard)
        #expect(Catalog.date(ticket.deadline) == rome(2026, 3, 9, 12, 30))
        #expect(Catalog.date(ticket.openedAt) == friday && ticket.firstResponseAt == nil)
        #expect(try await catalog.ticket("T1") == ticket)
        let thread = try #require(try await catalog.ticketThread("T1"))
        #expect(thread.state == .open && thread.closedAt == nil)
        #expect(thread.messages == [TicketMessage(position: 1, body: "Since Thursday.", tokenID: 5, fromStaff: false, at: friday)])
        let events = try await fixture.events("acme", after: cursor)
        #expect(events.map(\.kind) == ["ticket.state"] && events[0].project == nil)
        #expect(events[0].data == #"{"deadline":\#(ticket.deadline.rawValue),"priority":"standard","state":"open","ticket":"T1"}"#)
        await catalog.close()
    }

    @Test("the staff queue: top priority first, then by deadline; a client's own list is in opening order")
    func staffQueue() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let policy = SupportPolicy.standard
        let lateFriday = try await catalog.openTicket(client: "acme", subject: "A", body: "", policy: policy, tokenID: 1, at: rome(2026, 3, 6, 18, 30))
        let noPlan = try await catalog.openTicket(client: "nop", subject: "B", body: "", policy: policy, tokenID: 2, at: rome(2026, 3, 6, 10))
        let oneTime = try await catalog.openTicket(client: "zeta", subject: "C", body: "", policy: policy, tokenID: 3, at: rome(2026, 3, 6, 18, 40))
        let morning = try await catalog.openTicket(client: "acme", subject: "D", body: "", policy: policy, tokenID: 1, at: rome(2026, 3, 6, 10))
        #expect(oneTime.priority == .top && Catalog.date(oneTime.deadline) == rome(2026, 3, 6, 19, 40))
        #expect(noPlan.priority == .low && Catalog.date(morning.deadline) == rome(2026, 3, 6, 14))

        #expect(try await catalog.tickets(client: nil).map(\.id) == [oneTime.id, morning.id, lateFriday.id, noPlan.id])
        #expect(try await catalog.tickets(client: "acme").map(\.id) == ["T1", "T4"])
        // An empty body stores no message.
        #expect(try await catalog.ticketThread("T1")?.messages.isEmpty == true)

        _ = try await catalog.closeTicket(oneTime.id)
        #expect(try await catalog.tickets(client: nil, includeClosed: false).map(\.id) == [morning.id, lateFriday.id, noPlan.id])
        #expect(try await catalog.tickets(client: nil).count == 4)
        await catalog.close()
    }

    @Test("the first staff reply is the first response, recorded once; closing ends the conversation")
    func repliesAndClose() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        let cursor = try await catalog.latestChangeSequence(client: "zeta")
        let opened = rome(2026, 3, 6, 10)
        _ = try await catalog.openTicket(client: "zeta", subject: "Logo", body: "Wrong colour", policy: .standard, tokenID: 3, at: opened)
        let clientReply = try await catalog.replyTicket("T1", body: "Any news?", tokenID: 3, fromStaff: false, at: rome(2026, 3, 6, 10, 20))
        #expect(clientReply.firstResponseAt == nil)
        let staffReply = try await catalog.replyTicket("T1", body: "On it.", tokenID: 9, fromStaff: true, at: rome(2026, 3, 6, 10, 30))
        #expect(staffReply.firstResponseAt.map { Catalog.date($0) } == rome(2026, 3, 6, 10, 30))
        #expect(!staffReply.isOverdue(at: Catalog.unixTime(rome(2026, 3, 7, 10))))
        let later = try await catalog.replyTicket("T1", body: "Fixed.", tokenID: 9, fromStaff: true, at: rome(2026, 3, 6, 12))
        #expect(later.firstResponseAt == staffReply.firstResponseAt)
        await #expect(throws: CatalogError.invalid("a message cannot be empty")) {
            _ = try await catalog.replyTicket("T1", body: " \n", tokenID: 9, fromStaff: true)
        }

        let closed = try await catalog.closeTicket("T1", at: rome(2026, 3, 6, 12, 5))
        #expect(closed == later)
        let thread = try #require(try await catalog.ticketThread("T1"))
        #expect(thread.state == .closed && thread.closedAt == rome(2026, 3, 6, 12, 5))
        #expect(thread.messages.map(\.body) == ["Wrong colour", "Any news?", "On it.", "Fixed."])
        #expect(thread.messages.map(\.fromStaff) == [false, false, true, true])
        #expect(thread.messages.map(\.position) == [1, 2, 3, 4])
        await #expect(throws: CatalogError.conflict("ticket T1 is closed")) {
            _ = try await catalog.replyTicket("T1", body: "Thanks", tokenID: 3, fromStaff: false)
        }
        await #expect(throws: CatalogError.conflict("ticket T1 is closed already")) { _ = try await catalog.closeTicket("T1") }

        let events = try await fixture.events("zeta", after: cursor)
        #expect(events.map(\.kind) == ["ticket.state", "ticket.state", "ticket.state"])
        #expect(events.dropFirst().map(\.data) == [#"{"state":"answered","ticket":"T1"}"#, #"{"state":"closed","ticket":"T1"}"#])
        await catalog.close()
    }

    @Test("unknown tickets and clients are .notFound; a subject must be one line of 1-200 characters")
    func notFoundAndValidation() async throws {
        let fixture = try await LedgerFixture.make()
        let catalog = fixture.catalog
        await #expect(throws: CatalogError.notFound("no client nobody")) {
            _ = try await catalog.openTicket(client: "nobody", subject: "x", body: "", policy: .standard, tokenID: 1)
        }
        await #expect(throws: CatalogError.notFound("no ticket T9")) {
            _ = try await catalog.replyTicket("T9", body: "x", tokenID: 1, fromStaff: true)
        }
        await #expect(throws: CatalogError.notFound("no ticket T9")) { _ = try await catalog.closeTicket("T9") }
        #expect(try await catalog.ticket("T9") == nil)
        #expect(try await catalog.ticketThread("T9") == nil)
        await #expect(throws: CatalogError.notFound("no client nobody")) { _ = try await catalog.tickets(client: "nobody") }
        for subject in ["", "   ", "two\nlines", String(repeating: "s", count: 201)] {
            await #expect(throws: CatalogError.self) {
                _ = try await catalog.openTicket(client: "acme", subject: subject, body: "", policy: .standard, tokenID: 1)
            }
        }
        // A calendar without working days is the domain's refusal, and takes no id.
        let broken = SupportPolicy(monthly: SupportTerms(
            calendar: .workingHours(WorkingHours(
                zone: .europeRome, days: [], opens: TimeOfDay(hour: 9)!, closes: TimeOfDay(hour: 19)!, holidays: [])),
            firstResponse: 60, priority: .standard))
        await #expect(throws: LedgerError.invalidCalendar("no working days")) {
            _ = try await catalog.openTicket(client: "acme", subject: "x", body: "", policy: broken, tokenID: 1)
        }
        #expect(try await catalog.openTicket(client: "acme", subject: "x", body: "", policy: .standard, tokenID: 1).id == "T1")
        #expect(try await catalog.tickets(client: nil).count == 1)
        await catalog.close()
    }
}
