/// Moving text between Strings and wire bytes without per-byte String iteration.
enum WireText {
    /// Calls `body` with the UTF-8 of `text` as one buffer (a copy only for a non-native String).
    @inline(__always)
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
