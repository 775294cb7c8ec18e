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

    private static func readHex(_ raw: UnsafeRawBufferPointer, at offset: Int, digits: Int) -> UInt64? {
        var value: UInt64 = 0
        for position in offset..<(offset + digits) {
            let byte = raw[position]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte &- UInt8(ascii: "a") &+ 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
