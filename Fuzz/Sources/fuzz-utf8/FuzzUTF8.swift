import FuzzSupport
import WebSocketWire

/// UTF8Validator against the standard library's validation (`String(validating:as:)`).
///
/// Checks: `isValid` agrees with the stdlib on the whole input; fed in random pieces, `feed`
/// returns true exactly while the bytes so far can still be completed into valid UTF-8 (and
/// stays false after), and `isAtBoundary` is true exactly when the bytes so far are valid.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUTF8(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: input)
    let wholeValid = isValidUTF8(input)
    invariant(UTF8Validator.isValid(input) == wholeValid, "isValid says \(!wholeValid) for \(hex(input))")

    let pieces = random.pieces(of: input.count)
    let firstDeadEnd = firstUncompletablePrefixLength(input)
    // Checking every boundary against the stdlib is quadratic; do it only for a few pieces.
    let checkEveryBoundary = pieces.count <= 16
    var validator = UTF8Validator()
    for (index, piece) in pieces.enumerated() {
        let ok = index % 2 == 0
            ? validator.feed(Array(input[piece]))
            : input[piece].withUnsafeBytes { validator.feed($0) }
        let end = piece.upperBound
        invariant(ok == (end < firstDeadEnd), "feed up to \(end) returned \(ok), first dead end \(firstDeadEnd), input \(hex(input))")
        if checkEveryBoundary || end == input.count {
            let valid = isValidUTF8(input[..<end])
            invariant(validator.isAtBoundary == valid, "isAtBoundary \(validator.isAtBoundary) after \(end) bytes of \(hex(input))")
        }
    }
    return 0
}

/// The length of the shortest prefix that no continuation can make valid (input.count + 1 if none).
/// Prefix completability only ever goes from true to false, so a binary search finds it.
private func firstUncompletablePrefixLength(_ input: [UInt8]) -> Int {
    var low = 0, high = input.count + 1  // completable(low) holds; high is "not known completable"
    if completable(input[...]) { return input.count + 1 }
    high = input.count
    while high - low > 1 {
        let middle = (low + high) / 2
        if completable(input[..<middle]) { low = middle } else { high = middle }
    }
    return high
}

/// Whether some bytes appended to `prefix` make it valid UTF-8 (stdlib as the judge).
private func completable(_ prefix: ArraySlice<UInt8>) -> Bool {
    if isValidUTF8(prefix) { return true }
    // A valid-so-far prefix is valid up to its last character start, followed by 1–3 bytes of an
    // unfinished character.
    for tailLength in 1...3 where tailLength <= prefix.count {
        let cut = prefix.endIndex - tailLength
        guard isValidUTF8(prefix[..<cut]) else { continue }
        let tail = Array(prefix[cut...])
        if completesToOneCharacter(tail) { return true }
    }
    return false
}

/// Whether 1–3 more continuation bytes turn `tail` into valid UTF-8.
private func completesToOneCharacter(_ tail: [UInt8]) -> Bool {
    let candidates: [UInt8] = [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF]
    var suffixes: [[UInt8]] = [[]]
    for _ in 1...3 {
        suffixes = suffixes.flatMap { suffix in candidates.map { suffix + [$0] } }
        for suffix in suffixes where isValidUTF8(tail + suffix) { return true }
    }
    return false
}
