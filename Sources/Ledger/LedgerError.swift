/// Why the ledger refused a computation or a step of a workflow.
///
/// One error type for the whole module, so every rule can use typed throws and a caller
/// maps it to a response in one place: ``code`` is a stable machine-readable name,
/// ``description`` a sentence for a person.
public enum LedgerError: Error, Hashable, Sendable {
    /// An intermediate product or sum does not fit in 64 bits: the input is corrupt or absurd.
    case overflow
    /// Minutes to price or credit are negative; a correction is a reversing entry, not negative work.
    case negativeMinutes(Minutes)
    /// An hourly rate is negative.
    case negativeRate(Cents)

    // MARK: Configuration

    /// A ``PricingPolicy`` or ``SupportPolicy`` value that no rule can work with.
    case invalidPolicy(String)
    /// A support calendar without working time (no working days, or opening not before closing).
    case invalidCalendar(String)

    // MARK: Quotes and invoices

    /// A quote needs at least one service.
    case emptyQuote
    /// A quoted service needs a name and a positive number of minutes.
    case invalidService(String)
    /// The quote cannot move from its state to the requested one.
    case invalidQuoteTransition(from: QuoteState, to: QuoteState)
    /// The terms offered are for another plan than the quote's.
    case termsForAnotherPlan(terms: Plan, quote: Plan)
    /// The quote has no frozen terms yet (it has not been accepted) and none were given.
    case termsNotFrozen
    /// The priced total is zero: there is nothing to invoice and nothing to pay.
    case nothingToInvoice
    /// The next number was asked for a year before the last number's: the clock went backwards.
    case invoiceYearBehind(last: InvoiceNumber, year: Int)
    /// An invoice number's year is not the (Europe/Rome) year of the invoice date.
    case invoiceNumberYear(InvoiceNumber, issuedIn: Int)

    // MARK: Payments and vouchers

    /// A payment must be a positive amount.
    case nonPositivePayment(Cents)
    /// A payment needs its reference (bank transfer id, receipt number).
    case missingReference
    /// The payment is larger than what is still owed; nothing was recorded.
    case overpayment(outstanding: Cents, offered: Cents)
    /// The invoice is fully paid already; nothing more can be paid or deducted.
    case invoiceAlreadyPaid(InvoiceNumber)
    /// An amount outside its range (a negative voucher, a remainder above the voucher's value).
    case invalidAmount(Cents)
    /// A voucher code must not be empty.
    case invalidVoucherCode
    /// The voucher has no value left.
    case voucherExhausted(code: String)
    /// A voucher only pays invoices of the client it was issued to.
    case voucherOfAnotherClient(code: String)

    // MARK: Monthly contracts

    /// A monthly contract can be cancelled only from its minimum month on.
    case minimumTermNotReached(minimumMonths: Int, currentMonth: Int)
    /// The month is not a billable month of the contract (before month 1, after the last
    /// month, or after the month in which it was cancelled).
    case contractMonthOutOfRange(month: Int, lastMonth: Int)
    /// The contract has already been cancelled.
    case contractAlreadyCancelled

    // MARK: Hours and the ledger

    /// Logging zero minutes records nothing.
    case zeroMinutes
    /// The project's balance does not cover the debit and the project does not allow overage.
    case insufficientBalance(remaining: Minutes, requested: Minutes)
    /// No entry with this sequence number (in this client's ledger).
    case entryNotFound(Int64)
    /// Only credits, debits and expiries move minutes, so only they can be reversed.
    case notReversible(Int64)
    /// The entry has been reversed already.
    case alreadyReversed(Int64)

    // MARK: Disputes

    /// Opening a dispute, and rejecting one, need a reason.
    case missingReason
    /// The dispute was already resolved.
    case disputeAlreadyResolved
    /// Only an hour entry (a debit) can be disputed as an hour entry.
    case notAnHourEntry(Int64)
    /// Disputed minutes must be between 1 and the minutes of the entry.
    case disputedMinutesOutOfRange(disputed: Minutes, logged: Minutes)
    /// A disputed amount must be between 0.01 and the invoice total.
    case disputedAmountOutOfRange(disputed: Cents, invoiceTotal: Cents)
}

extension LedgerError {
    /// A stable, machine-readable name for the error, for JSON error bodies and scripts.
    public var code: String {
        switch self {
        case .overflow: "overflow"
        case .negativeMinutes: "negative_minutes"
        case .negativeRate: "negative_rate"
        case .invalidPolicy: "invalid_policy"
        case .invalidCalendar: "invalid_calendar"
        case .emptyQuote: "empty_quote"
        case .invalidService: "invalid_service"
        case .invalidQuoteTransition: "invalid_quote_transition"
        case .termsForAnotherPlan: "terms_for_another_plan"
        case .termsNotFrozen: "terms_not_frozen"
        case .nothingToInvoice: "nothing_to_invoice"
        case .invoiceYearBehind: "invoice_year_behind"
        case .invoiceNumberYear: "invoice_number_year"
        case .nonPositivePayment: "non_positive_payment"
        case .missingReference: "missing_reference"
        case .overpayment: "overpayment"
        case .invoiceAlreadyPaid: "invoice_already_paid"
        case .invalidAmount: "invalid_amount"
        case .invalidVoucherCode: "invalid_voucher_code"
        case .voucherExhausted: "voucher_exhausted"
        case .voucherOfAnotherClient: "voucher_of_another_client"
        case .minimumTermNotReached: "minimum_term_not_reached"
        case .contractMonthOutOfRange: "contract_month_out_of_range"
        case .contractAlreadyCancelled: "contract_already_cancelled"
        case .zeroMinutes: "zero_minutes"
        case .insufficientBalance: "insufficient_balance"
        case .entryNotFound: "entry_not_found"
        case .notReversible: "not_reversible"
        case .alreadyReversed: "already_reversed"
        case .missingReason: "missing_reason"
        case .disputeAlreadyResolved: "dispute_already_resolved"
        case .notAnHourEntry: "not_an_hour_entry"
        case .disputedMinutesOutOfRange: "disputed_minutes_out_of_range"
        case .disputedAmountOutOfRange: "disputed_amount_out_of_range"
        }
    }
}

extension LedgerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .overflow:
            "amount too large to compute exactly; check the minutes and the rate"
        case .negativeMinutes(let minutes):
            "minutes must not be negative (got \(minutes.rawValue)); record a reversing entry instead"
        case .negativeRate(let rate):
            "hourly rate must not be negative (got \(rate) EUR)"
        case .invalidPolicy(let reason):
            "invalid policy: \(reason)"
        case .invalidCalendar(let reason):
            "invalid support calendar: \(reason)"
        case .emptyQuote:
            "a quote needs at least one service"
        case .invalidService(let name):
            "service \"\(name)\" needs a name and a positive number of minutes"
        case .invalidQuoteTransition(let from, let to):
            "a quote that is \(from.rawValue) cannot become \(to.rawValue)"
        case .termsForAnotherPlan(let terms, let quote):
            "the terms are for the \(terms.rawValue) plan but the quote is for \(quote.rawValue)"
        case .termsNotFrozen:
            "the quote has not been accepted, so it has no frozen terms"
        case .nothingToInvoice:
            "the quote's total is zero: there is nothing to invoice"
        case .invoiceYearBehind(let last, let year):
            "cannot number an invoice of \(year) after \(last)"
        case .invoiceNumberYear(let number, let year):
            "invoice number \(number) does not belong to the invoice year \(year)"
        case .nonPositivePayment(let amount):
            "a payment must be a positive amount (got \(amount) EUR)"
        case .missingReference:
            "a payment needs a reference"
        case .overpayment(let outstanding, let offered):
            "payment of \(offered) EUR exceeds the outstanding \(outstanding) EUR"
        case .invoiceAlreadyPaid(let number):
            "invoice \(number) is already paid"
        case .invalidAmount(let amount):
            "amount out of range (got \(amount) EUR)"
        case .invalidVoucherCode:
            "a voucher code must not be empty"
        case .voucherExhausted(let code):
            "voucher \(code) has no value left"
        case .voucherOfAnotherClient(let code):
            "voucher \(code) belongs to another client"
        case .minimumTermNotReached(let minimum, let current):
            "a monthly contract can be cancelled from month \(minimum) on; it is in month \(current)"
        case .contractMonthOutOfRange(let month, let last):
            "month \(month) is not a billable month of the contract (months 1...\(last))"
        case .contractAlreadyCancelled:
            "the contract is already cancelled"
        case .zeroMinutes:
            "log at least one minute"
        case .insufficientBalance(let remaining, let requested):
            "the project has \(remaining.rawValue) minutes left, \(requested.rawValue) requested, and overage is not allowed"
        case .entryNotFound(let sequence):
            "no ledger entry #\(sequence)"
        case .notReversible(let sequence):
            "ledger entry #\(sequence) moves no minutes and cannot be reversed"
        case .alreadyReversed(let sequence):
            "ledger entry #\(sequence) is already reversed"
        case .missingReason:
            "a reason is required"
        case .disputeAlreadyResolved:
            "the dispute is already resolved"
        case .notAnHourEntry(let sequence):
            "ledger entry #\(sequence) is not an hour entry"
        case .disputedMinutesOutOfRange(let disputed, let logged):
            "disputed minutes must be 1...\(logged.rawValue) (got \(disputed.rawValue))"
        case .disputedAmountOutOfRange(let disputed, let total):
            "disputed amount must be 0.01...\(total) EUR (got \(disputed) EUR)"
        }
    }
}
