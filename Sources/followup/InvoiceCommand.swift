import ArgumentParser
import Ledger
import SyncProtocol

struct InvoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "Invoices: list them; record payments (staff).",
        subcommands: [List.self, Pay.self, ApplyVoucher.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a client's invoices.")
        @Argument(help: "The client.") var client: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        /// `invoice list --json`: the fields scripts rely on.
        struct Row: Encodable {
            var number, status: String
            var net_cents, vat_cents, total_cents, paid_cents: Int64
        }

        func run() async throws {
            let invoices = try await remote.client(logger: try output.logger("followup.invoice")).invoices(client: client)
            if output.json {
                return try Terminal.printJSON(invoices.map {
                    Row(number: $0.number, status: $0.status, net_cents: $0.netCents, vat_cents: $0.vatCents, total_cents: $0.totalCents, paid_cents: $0.paidCents)
                })
            }
            print("number\tproject\tstatus\tnet\tVAT\ttotal\tpaid")
            for invoice in invoices {
                print("\(invoice.number)\t\(invoice.project)\t\(invoice.status)\t\(Cents(invoice.netCents))\t\(Cents(invoice.vatCents))\t\(Cents(invoice.totalCents))\t\(Cents(invoice.paidCents))")
            }
        }
    }

    struct Pay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pay", abstract: "Record a payment; a paid invoice credits its hours.")
        @Argument(help: "The invoice number, e.g. 2026/0001.") var number: String
        @Option(help: "Amount in EUR, e.g. 878.40.") var amount: String
        @Option(help: "The payment's reference (bank transfer id…).") var reference: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard let cents = Cents(euros: amount), cents > .zero else { throw ValidationError("--amount must be a positive amount in EUR like 878.40") }
            let invoice = try await remote.client(logger: try output.logger("followup.invoice"))
                .pay(invoice: number, PaymentRequest(amountCents: cents.rawValue, reference: reference))
            if output.json { return try Terminal.printJSON(invoice) }
            print("invoice \(invoice.number): paid \(Cents(invoice.paidCents)) of \(Cents(invoice.totalCents - invoice.deductedCents)) EUR (\(invoice.status))")
        }
    }

    struct ApplyVoucher: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply-voucher", abstract: "Deduct a voucher from an invoice.")
        @Argument(help: "The invoice number.") var number: String
        @Argument(help: "The voucher code.") var code: String
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let invoice = try await remote.client(logger: try output.logger("followup.invoice")).applyVoucher(code, to: number)
            if output.json { return try Terminal.printJSON(invoice) }
            print("invoice \(invoice.number): \(Cents(invoice.deductedCents)) EUR deducted, \(invoice.status)")
        }
    }
}
