/// A stored line is re-priced when decoded: the inputs go through the one rounding rule again
/// and the stored amounts must match, so a tampered or corrupt row fails loudly instead of
/// showing amounts the rule never produced.
extension InvoiceLine: Codable {
    private enum CodingKeys: String, CodingKey {
        case minutes, rateCents, discountPercent, vatPercent, net, vat, total
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let line = try InvoiceLine.price(
            minutes: container.decode(Minutes.self, forKey: .minutes),
            rateCents: container.decode(Cents.self, forKey: .rateCents),
            discountPercent: container.decode(Percent.self, forKey: .discountPercent),
            vatPercent: container.decode(Percent.self, forKey: .vatPercent))
        guard try container.decode(Cents.self, forKey: .net) == line.net,
              try container.decode(Cents.self, forKey: .vat) == line.vat,
              try container.decode(Cents.self, forKey: .total) == line.total
        else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "stored amounts differ from the pricing rule"))
        }
        self = line
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minutes, forKey: .minutes)
        try container.encode(rateCents, forKey: .rateCents)
        try container.encode(discountPercent, forKey: .discountPercent)
        try container.encode(vatPercent, forKey: .vatPercent)
        try container.encode(net, forKey: .net)
        try container.encode(vat, forKey: .vat)
        try container.encode(total, forKey: .total)
    }
}
