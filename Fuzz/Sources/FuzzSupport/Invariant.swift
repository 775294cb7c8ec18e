/// Stops the run when an invariant does not hold. `fatalError` traps, which libFuzzer reports as a
/// crash and saves the input; the message goes to standard error first.
public func invariant(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError("invariant violated: \(message())", file: file, line: line)
    }
}

/// Whether `bytes` is well-formed UTF-8, decided by the standard library (the reference).
public func isValidUTF8<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
    String(validating: bytes, as: UTF8.self) != nil
}

/// The bytes as hex, for invariant messages.
public func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes, limit: Int = 64) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    var count = 0
    for byte in bytes {
        if count == limit {
            out.append(contentsOf: "...".utf8)
            break
        }
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
        count += 1
    }
    return String(decoding: out, as: UTF8.self)
}
