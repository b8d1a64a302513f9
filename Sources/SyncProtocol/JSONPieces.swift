import Foundation

/// Writes one large JSON document a piece at a time.
///
/// Foundation's `JSONEncoder` builds the whole document as a tree of boxed values before
/// it writes a byte: for a commit or a manifest of 100,000 files that tree takes hundreds
/// of megabytes. Here the caller lays out the outer structure, members in sorted key
/// order, and only one element at a time becomes a tree; the bytes are the same as
/// `JSONEncoder` with `.sortedKeys` would write for the whole value.
///
///     var json = JSONPieces()
///     try json.object { members in
///         try members.member("files") { try $0.array(files) { try $0.value($1) } }
///         try members.member("version", 2)
///     }
public struct JSONPieces {
    public private(set) var bytes: [UInt8] = []
    private let encoder: JSONEncoder
    /// `/` as `\/`, as `JSONEncoder` writes it unless told `.withoutEscapingSlashes`.
    private let escapesSlashes: Bool

    public init(formatting: JSONEncoder.OutputFormatting = [.sortedKeys]) {
        encoder = JSONEncoder()
        encoder.outputFormatting = formatting.union(.sortedKeys).subtracting(.prettyPrinted)
        escapesSlashes = !formatting.contains(.withoutEscapingSlashes)
    }

    /// The bytes written so far, which the document no longer holds: a long document can
    /// go out (or to a file) a piece at a time between values.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// One complete value, encoded as `JSONEncoder` would.
    public mutating func value(_ value: some Encodable) throws {
        bytes.append(contentsOf: try encoder.encode(value))
    }

    /// A string, escaped as `JSONEncoder` escapes it (`"`, `\\`, `/` and control characters;
    /// the rest as UTF-8), without an encoder's call per string: a file table writes two
    /// per file.
    public mutating func string(_ text: String) {
        Self.appendString(text, to: &bytes, escapingSlashes: escapesSlashes)
    }

    /// `text` as a JSON string with `JSONEncoder`'s escapes, onto `bytes`.
    public static func appendString(_ text: String, to bytes: inout [UInt8], escapingSlashes: Bool) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var plain = 0
            for (index, byte) in utf8.enumerated() {
                let escape: UInt8
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape = byte
                case UInt8(ascii: "/") where escapingSlashes: escape = byte
                case 0x08: escape = UInt8(ascii: "b")
                case 0x09: escape = UInt8(ascii: "t")
                case 0x0A: escape = UInt8(ascii: "n")
                case 0x0C: escape = UInt8(ascii: "f")
                case 0x0D: escape = UInt8(ascii: "r")
                case 0x00..<0x20: escape = UInt8(ascii: "u")
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain..<index]))
                plain = index + 1
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escape)
                if escape == UInt8(ascii: "u") {
                    let hex: StaticString = "0123456789abcdef"
                    hex.withUTF8Buffer { hex in bytes += [0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]] }
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An integer in decimal, as `JSONEncoder` writes it.
    public mutating func integer(_ value: some BinaryInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    /// `text` as it is: punctuation and keys the caller knows to be valid JSON at this point,
    /// for a document written across several calls (see ``ExportManifest/Writer``).
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// One byte the caller knows to be valid JSON at this point.
    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// A line break, which JSON reads as white space: one element per line in a long array.
    public mutating func lineBreak() {
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `[e1,e2,…]`, each element written by `write`.
    public mutating func array<S: Sequence>(_ elements: S, _ write: (inout JSONPieces, S.Element) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            try write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `{…}` with the members `write` adds, which it must add in sorted key order.
    public mutating func object(_ write: (inout Members) throws -> Void) throws {
        var members = Members(json: self)
        bytes = []
        members.json.bytes.append(UInt8(ascii: "{"))
        try write(&members)
        members.json.bytes.append(UInt8(ascii: "}"))
        self = members.json
    }

    /// The members of an object being written.
    public struct Members {
        fileprivate var json: JSONPieces
        private var count = 0

        fileprivate init(json: JSONPieces) { self.json = json }

        /// `"key":` and the value `write` adds.
        public mutating func member(_ key: String, _ write: (inout JSONPieces) throws -> Void) throws {
            if count > 0 { json.bytes.append(UInt8(ascii: ",")) }
            count += 1
            json.string(key)
            json.bytes.append(UInt8(ascii: ":"))
            try write(&json)
        }

        /// `"key":value`; a nil optional is left out, as synthesized `Encodable` does.
        public mutating func member(_ key: String, _ value: (some Encodable)?) throws {
            guard let value else { return }
            try member(key) { try $0.value(value) }
        }
    }
}

/// A request body too large to encode as one tree (see ``JSONPieces``): the client sends
/// ``jsonBytes()`` instead of what `JSONEncoder` would build.
public protocol PieceEncodable: Encodable {
    func jsonBytes() throws -> [UInt8]
}
