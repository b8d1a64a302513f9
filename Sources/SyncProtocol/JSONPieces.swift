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

    public init(formatting: JSONEncoder.OutputFormatting = [.sortedKeys]) {
        encoder = JSONEncoder()
        encoder.outputFormatting = formatting.union(.sortedKeys).subtracting(.prettyPrinted)
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
            try json.value(key)
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
