/// Byte searches eight bytes at a time (SWAR): header lines and bodies are scanned for LF, NUL,
/// `:` and `\` on every frame, and a byte-at-a-time loop was the decoder's largest single cost.
@usableFromInline
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in each byte of `word` equal to `target`. Only bytes above a real match can be
    /// false positives (borrows travel upwards), so the lowest set bit is exact, and so is `!= 0`.
    @inline(__always)
    private static func matches(_ word: UInt64, _ target: UInt8) -> UInt64 {
        let difference = word ^ (ones &* UInt64(target))
        return (difference &- ones) & ~difference & highBits
    }

    /// The next 8 bytes at `offset` with byte `offset` lowest, whatever the platform's byte order.
    @inline(__always)
    private static func word(_ base: UnsafePointer<UInt8>, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// Index of the first `target` in `bytes` (0-based within `bytes`), nil if absent.
    static func firstIndex(of target: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = 0
        guard count >= 8 else {
            while index < count {
                if base[index] == target { return index }
                index += 1
            }
            return nil
        }
        while index + 8 <= count {
            let found = matches(word(base, index), target)
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        // The last 8 bytes overlap bytes already searched, which hold no match.
        guard index < count else { return nil }
        let found = matches(word(base, count - 8), target)
        return found != 0 ? count - 8 + found.trailingZeroBitCount / 8 : nil
    }

    /// Whether `bytes` contains `target`.
    static func contains(_ target: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstIndex(of: target, in: bytes) != nil
    }

    /// Whether `bytes` contains any of the four targets (repeat one to look for fewer).
    static func containsAny(
        _ first: UInt8, _ second: UInt8, _ third: UInt8, _ fourth: UInt8, in bytes: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let count = bytes.count
        var index = 0
        guard count >= 8 else {
            while index < count {
                let byte = base[index]
                if byte == first || byte == second || byte == third || byte == fourth { return true }
                index += 1
            }
            return false
        }
        while true {
            // The last word may overlap bytes already searched; that only repeats a "no".
            let chunk = word(base, min(index, count - 8))
            if matches(chunk, first) | matches(chunk, second) | matches(chunk, third) | matches(chunk, fourth) != 0 {
                return true
            }
            index += 8
            if index >= count { return false }
        }
    }

    /// Whether two byte buffers hold the same bytes; compares eight at a time.
    @usableFromInline
    static func equal(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = first.count
        guard count == second.count else { return false }
        guard count > 0, let a = first.baseAddress, let b = second.baseAddress else { return true }
        let left = UnsafeRawPointer(a), right = UnsafeRawPointer(b)
        var index = 0
        while index + 8 <= count {
            guard left.loadUnaligned(fromByteOffset: index, as: UInt64.self) == right.loadUnaligned(fromByteOffset: index, as: UInt64.self) else { return false }
            index += 8
        }
        while index < count {
            guard a[index] == b[index] else { return false }
            index += 1
        }
        return true
    }

    /// What a header line holds that decoding and writing it depend on, found in one pass.
    struct LineTraits {
        /// Index of the first colon (the end of the name), nil when there is none.
        var colon: Int?
        /// Some byte is 0x80 or above: the line must be checked as UTF-8.
        var hasNonASCII: Bool
        /// A backslash: an escape to decode (in versions that have escapes).
        var hasBackslash: Bool
        /// Maybe a CR or a colon after the first one: bytes some escaping writes differently.
        /// May say yes when there are none (then the line is escaped, which changes nothing),
        /// never no when there are.
        var mayNeedEscaping: Bool
    }

    /// The traits of a header line (without its line ending), eight bytes at a time.
    static func traits(of line: UnsafeBufferPointer<UInt8>) -> LineTraits {
        var high: UInt64 = 0, backslashes: UInt64 = 0, special: UInt64 = 0
        var colon = -1
        @inline(__always)
        func scan(_ chunk: UInt64, at offset: Int) {
            high |= chunk
            backslashes |= matches(chunk, ASCII.backslash)
            special |= matches(chunk, ASCII.cr)
            var colons = matches(chunk, ASCII.colon)
            if colon < 0, colons != 0 {
                // The lowest match is exact; others in this word (maybe false) are after it.
                colon = offset + colons.trailingZeroBitCount / 8
                colons &= colons &- 1
            }
            special |= colons
        }
        let count = line.count
        if let base = line.baseAddress {
            var index = 0
            while index + 8 <= count {
                scan(word(base, index), at: index)
                index += 8
            }
            if index < count {
                // The rest as one word, zero-filled (zero bytes match none of the targets).
                var rest: UInt64 = 0
                if count >= 8 {
                    rest = word(base, count - 8) >> UInt64(8 * (8 - (count - index)))
                } else {
                    withUnsafeMutableBytes(of: &rest) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + index, count: count - index)) }
                    rest = UInt64(littleEndian: rest)
                }
                scan(rest, at: index)
            }
        }
        return LineTraits(colon: colon < 0 ? nil : colon, hasNonASCII: high & highBits != 0, hasBackslash: backslashes != 0, mayNeedEscaping: special != 0)
    }
}
