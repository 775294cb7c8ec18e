/// Moving text between Strings and wire bytes without per-byte String iteration.
@usableFromInline
enum WireText {
    /// Calls `body` with the UTF-8 of `text` as one buffer (a copy only for a non-native String).
    @inlinable @inline(__always)
    static func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Appends the UTF-8 of `text` to `out`.
    @inline(__always)
    static func append(_ text: String, to out: inout [UInt8]) {
        withUTF8(text) { out.append(contentsOf: $0) }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether these bytes are exactly the UTF-8 of `literal` (a header name compared without
    /// building a String).
    @inlinable
    public func spells(_ literal: StaticString) -> Bool {
        ByteSearch.equal(self, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Whether these bytes start with the UTF-8 of `literal`.
    @inlinable
    public func begins(with literal: StaticString) -> Bool {
        count >= literal.utf8CodeUnitCount && UnsafeBufferPointer(rebasing: self[..<literal.utf8CodeUnitCount]).spells(literal)
    }

    /// Whether these bytes and `text`'s UTF-8 are the same.
    @inlinable
    public func hasSameBytes(as text: String) -> Bool {
        count == text.utf8.count && WireText.withUTF8(text) { ByteSearch.equal(self, $0) }
    }
}
