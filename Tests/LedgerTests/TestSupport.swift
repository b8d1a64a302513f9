import Ledger

/// A date that must exist.
func day(_ year: Int, _ month: Int, _ day: Int) -> CivilDate {
    guard let date = CivilDate(year: year, month: month, day: day) else { fatalError("no such date \(year)-\(month)-\(day)") }
    return date
}

func clock(_ hour: Int, _ minute: Int = 0, _ second: Int = 0) -> TimeOfDay {
    guard let time = TimeOfDay(hour: hour, minute: minute, second: second) else { fatalError("no such time") }
    return time
}

/// The instant of a Europe/Rome wall-clock time.
func rome(_ year: Int, _ month: Int, _ date: Int, _ hour: Int, _ minute: Int = 0) -> UnixTime {
    CivilTimeZone.europeRome.instant(day(year, month, date), clock(hour, minute))
}

func utc(_ year: Int, _ month: Int, _ date: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> UnixTime {
    UnixTime.utc(day(year, month, date), clock(hour, minute, second))
}

func number(_ text: String) -> InvoiceNumber {
    guard let number = InvoiceNumber(text) else { fatalError("not an invoice number: \(text)") }
    return number
}

/// A quote already sent, ready to be accepted.
func sentQuote(
    plan: Plan, services: [QuoteService] = [QuoteService(name: "Social media", minutes: 1200)], id: String = "Q-1"
) throws -> Quote {
    var quote = try Quote(id: id, client: "acme", project: "website", plan: plan, services: services)
    try quote.send(at: rome(2026, 1, 10, 10))
    return quote
}

/// Accepts a quote for 20 h at the default policy on 15 Jan 2026.
func accepted(plan: Plan, policy: PricingPolicy = .standard, invoice: String = "2026/0001") throws -> QuoteAcceptance {
    var quote = try sentQuote(plan: plan)
    return try quote.accept(terms: policy.terms(for: plan), invoiceNumber: number(invoice), at: rome(2026, 1, 15, 12))
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// SHA-256 (FIPS 180-4), written out for the tests: the ledger takes its hash function as a
/// parameter and the production one (libcrypto) is not a dependency of this target.
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var state: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }

        func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        var w = [UInt32](repeating: 0, count: 64)
        for block in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                w[i] = (0..<4).reduce(0) { $0 << 8 | UInt32(data[block + 4 * i + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
            for i in 0..<64 {
                let t1 = h &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, value) in [a, b, c, d, e, f, g, h].enumerated() { state[i] = state[i] &+ value }
        }
        return state.flatMap { word in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) } }
    }
}
