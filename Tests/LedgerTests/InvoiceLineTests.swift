import Ledger
import Testing

@Suite("Invoice line pricing")
struct InvoiceLineTests {
    private func price(
        _ minutes: Int64, at rate: Int64, discount: Percent = 0, vat: Percent = 22
    ) throws(LedgerError) -> InvoiceLine {
        try InvoiceLine.price(
            minutes: Minutes(minutes), rateCents: Cents(rate), discountPercent: discount, vatPercent: vat)
    }

    @Test("20 h at 60.00 EUR on a monthly plan (40% off) cost 720.00 + 158.40 VAT")
    func monthlyExample() throws {
        let line = try price(1200, at: 6000, discount: 40)
        #expect(line.net == 72000)
        #expect(line.vat == 15840)
        #expect(line.total == 87840)
    }

    @Test("20 h at 60.00 EUR on a one-time plan (45% off) cost 660.00 + 145.20 VAT")
    func oneTimeExample() throws {
        let line = try price(1200, at: 6000, discount: 45)
        #expect(line.net == 66000)
        #expect(line.vat == 14520)
        #expect(line.total == 80520)
    }

    @Test("the line keeps the rate, discount and VAT it was priced with")
    func keepsInputs() throws {
        let line = try price(90, at: 5000, discount: 40, vat: 22)
        #expect(line.minutes == 90)
        #expect(line.rateCents == 5000)
        #expect(line.discountPercent == 40)
        #expect(line.vatPercent == 22)
    }

    @Test("net of exactly half a cent rounds up")
    func netHalfRoundsUp() throws {
        // 1 min × 30 c/h = 0.5 c
        #expect(try price(1, at: 30, vat: 0).net == 1)
    }

    @Test("net just under half a cent rounds down")
    func netUnderHalfRoundsDown() throws {
        // 1 min × 29 c/h = 0.4833 c
        #expect(try price(1, at: 29, vat: 0).net == 0)
        // 1 min × 1060 c/h × 99% = 17.49 c
        #expect(try price(1, at: 1060, discount: 1, vat: 0).net == 17)
    }

    @Test("net of 17.5 cents rounds up to 18")
    func netAboveWholeHalfRoundsUp() throws {
        // 1 min × 1050 c/h = 17.5 c
        #expect(try price(1, at: 1050, vat: 0).net == 18)
    }

    @Test("VAT of exactly half a cent rounds up, 0.49 rounds down")
    func vatRounding() throws {
        // 60 min × 50 c/h = 50 c net; 1% of it = 0.5 c
        #expect(try price(60, at: 50, vat: 1).vat == 1)
        // 49 c net; 1% = 0.49 c
        #expect(try price(60, at: 49, vat: 1).vat == 0)
    }

    @Test("VAT is computed on the rounded net, once per line")
    func vatOnRoundedNet() throws {
        // net = half-up(0.5) = 1; VAT 50% of 1 c = 0.5 → 1, not half-up(0.25) = 0
        let line = try price(1, at: 30, vat: 50)
        #expect(line.net == 1)
        #expect(line.vat == 1)
        #expect(line.total == 2)
    }

    @Test("zero minutes, zero rate and a 100% discount all cost nothing")
    func zero() throws {
        for line in [try price(0, at: 6000), try price(1200, at: 0), try price(1200, at: 6000, discount: 100)] {
            #expect(line.net == .zero)
            #expect(line.vat == .zero)
            #expect(line.total == .zero)
        }
    }

    @Test("a 100% discount is free even when minutes × rate alone would overflow")
    func fullDiscountDoesNotOverflow() throws {
        #expect(try price(.max, at: .max, discount: 100).total == .zero)
    }

    @Test("an overflowing product is reported, not wrapped or trapped")
    func overflow() {
        #expect(throws: LedgerError.overflow) { try price(.max / 2, at: 6000) }
        #expect(throws: LedgerError.overflow) { try price(1 << 40, at: 1 << 20) }
    }

    @Test("the last minute count that fits is priced exactly; one more is an overflow")
    func overflowBoundary() throws {
        let largest = Int64.max / (6000 * 100)  // minutes × 6000 c/h × 100 fits in Int64
        let line = try price(largest, at: 6000, vat: 22)
        #expect(line.net.rawValue == largest * 100)
        #expect(line.vat.rawValue == largest * 22)
        #expect(throws: LedgerError.overflow) { try price(largest + 1, at: 6000) }
    }

    @Test("negative minutes or rates are refused")
    func negative() {
        #expect(throws: LedgerError.negativeMinutes(-1)) { try price(-1, at: 6000) }
        #expect(throws: LedgerError.negativeRate(-6000)) { try price(60, at: -6000) }
    }
}
