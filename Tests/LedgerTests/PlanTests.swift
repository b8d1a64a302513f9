import Ledger
import Testing

@Suite("Plans")
struct PlanTests {
    @Test("a one-time plan credits 1200 paid minutes + 10% bonus as 1320 minutes")
    func oneTimeBonus() throws {
        #expect(try Plan.oneTime.bonusMinutes(for: 1200, bonusPercent: 10) == 120)
        #expect(try Plan.oneTime.creditedMinutes(for: 1200, bonusPercent: 10) == 1320)
    }

    @Test("the bonus rounds down to the whole minute")
    func bonusRoundsDown() throws {
        #expect(try Plan.oneTime.bonusMinutes(for: 19, bonusPercent: 10) == 1)  // 1.9
        #expect(try Plan.oneTime.bonusMinutes(for: 9, bonusPercent: 10) == 0)   // 0.9
        #expect(try Plan.oneTime.bonusMinutes(for: 155, bonusPercent: 10) == 15)  // 15.5
    }

    @Test("monthly and no plan earn no bonus", arguments: [Plan.monthly, Plan.none])
    func noBonus(plan: Plan) throws {
        #expect(try plan.bonusMinutes(for: 1200, bonusPercent: 10) == .zero)
        #expect(try plan.creditedMinutes(for: 1200, bonusPercent: 10) == 1200)
    }

    @Test("the bonus of the largest minute count does not overflow; the credit reports it")
    func bonusBounds() throws {
        let max = Minutes(.max)
        #expect(try Plan.oneTime.bonusMinutes(for: max, bonusPercent: 100) == max)
        #expect(throws: LedgerError.overflow) { try Plan.oneTime.creditedMinutes(for: max, bonusPercent: 10) }
        #expect(throws: LedgerError.negativeMinutes(-1)) { try Plan.oneTime.bonusMinutes(for: -1, bonusPercent: 10) }
    }

    @Test("plans use the command line's names", arguments: [
        (Plan.none, "none"), (.monthly, "monthly"), (.oneTime, "one-time"),
    ])
    func names(plan: Plan, name: String) {
        #expect(plan.rawValue == name)
        #expect(Plan(rawValue: name) == plan)
    }
}
