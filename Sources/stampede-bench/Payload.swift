/// The body of every benchmark message: ASCII hex fields at fixed offsets, padded with dots.
///
///     [0, 16)  sequence number of this producer's message
///     [16, 32) send timestamp (MonotonicClock nanoseconds; the intended send time in rate mode)
///     [32, 36) producer index
///     [36, n)  '.' padding up to --message-bytes
///
/// Plain ASCII keeps the WebSocket frames valid text frames, as a browser would send them.
enum Payload {
    /// The smallest body that holds the fields.
    static let minimumBytes = 36

    /// One decoded body.
    struct Fields: Equatable {
        var sequence: Int
        var timestamp: UInt64
        var producer: Int
    }

    /// A body of `size` bytes with zeroed fields, to be filled by `write`.
    static func template(size: Int) -> [UInt8] {
        var body = [UInt8](repeating: UInt8(ascii: "."), count: max(size, minimumBytes))
        write(Fields(sequence: 0, timestamp: 0, producer: 0), into: &body, at: 0)
        return body
    }

    /// Writes the fields into `bytes` at `offset` (the body's first byte).
    static func write(_ fields: Fields, into bytes: inout [UInt8], at offset: Int) {
        bytes.withUnsafeMutableBytes { raw in
            writeHex(UInt64(fields.sequence), digits: 16, into: raw, at: offset)
            writeHex(fields.timestamp, digits: 16, into: raw, at: offset + 16)
            writeHex(UInt64(fields.producer), digits: 4, into: raw, at: offset + 32)
        }
    }

    /// Reads the fields of a body; nil when it is not one of ours.
    static func read(_ body: UnsafeRawBufferPointer) -> Fields? {
        guard body.count >= minimumBytes,
              let sequence = readHex(body, at: 0, digits: 16),
              let timestamp = readHex(body, at: 16, digits: 16),
              let producer = readHex(body, at: 32, digits: 4),
              sequence <= UInt64(Int.max)
        else { return nil }
        return Fields(sequence: Int(sequence), timestamp: timestamp, producer: Int(producer))
    }

    private static func writeHex(_ value: UInt64, digits: Int, into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        var remaining = value
        for position in stride(from: offset + digits - 1, through: offset, by: -1) {
            let digit = UInt8(remaining & 0xF)
            raw[position] = digit < 10 ? 0x30 + digit : 0x57 + digit  // "0"..."9", "a"..."f"
            remaining >>= 4
        }
    }

    /// `digits` (4, 8 or 16) lowercase hex digits at `offset`, the first the most significant;
    /// nil when any is not 0-9 or a-f. Eight digits at a time: the byte-at-a-time loop was 7 % of
    /// the load generator's time in fan-out, where it reads every delivered body.
    private static func readHex(_ raw: UnsafeRawBufferPointer, at offset: Int, digits: Int) -> UInt64? {
        switch digits {
        case 16:
            guard let high = hex8(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                  let low = hex8(raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            else { return nil }
            return high << 32 | low
        case 8:
            return hex8(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        default:
            precondition(digits == 4, "4, 8 or 16 digits")
            // Four leading "0"s make it eight digits of the same value.
            let four = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            return hex8((0x3030_3030 | four << 32).littleEndian)
        }
    }

    /// Eight ASCII hex digits in one word (the first digit in the lowest-addressed byte) → value.
    private static func hex8(_ loaded: UInt64) -> UInt64? {
        let word = UInt64(littleEndian: loaded)
        let highBits: UInt64 = 0x8080_8080_8080_8080
        // Per byte (all below 0x80, so no carry crosses bytes): bit 7 of `b + (0x80 - low)` is
        // set when b >= low, and bit 7 of `b + (0x7F - high)` when b > high.
        let isDigit = (word &+ 0x5050_5050_5050_5050) & ~(word &+ 0x4646_4646_4646_4646)
        let isLetter = (word &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(word &+ 0x1919_1919_1919_1919)
        guard word & highBits == 0, (isDigit | isLetter) & highBits == highBits else { return nil }
        // "0"-"9" are 0x30-0x39 and "a"-"f" 0x61-0x66: the low nibble, plus 9 for a letter.
        let nibbles = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ ((isLetter & highBits) >> 7) &* 9
        // Two digits per 16-bit lane, four per 32-bit lane, then the two halves.
        var packed = (nibbles & 0x000F_000F_000F_000F) << 4 | (nibbles >> 8) & 0x000F_000F_000F_000F
        packed = (packed & 0x0000_00FF_0000_00FF) << 8 | (packed >> 16) & 0x0000_00FF_0000_00FF
        return (packed & 0xFFFF) << 16 | (packed >> 32) & 0xFFFF
    }
}
