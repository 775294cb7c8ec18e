/// Builds frames. Server→client frames are unmasked, so one payload buffer can be shared by many
/// connections with only the small header written per connection.
public enum WebSocketFrameEncoder {
    /// Largest close reason that fits a control frame after the 2-byte code.
    static let maxCloseReasonBytes = 123

    /// Server→client: unmasked. Writes the 2–10 byte header only, so a shared payload buffer can follow it unchanged.
    public static func writeHeader(opcode: WebSocketOpcode, fin: Bool, payloadLength: Int, into out: inout [UInt8]) {
        writeHeader(opcode: opcode, fin: fin, masked: false, payloadLength: payloadLength, into: &out)
    }

    /// Server→client header of a permessage-deflate compressed message (RSV1 set, RFC 7692 §6).
    public static func writeCompressedHeader(opcode: WebSocketOpcode, payloadLength: Int, into out: inout [UInt8]) {
        let start = out.count
        writeHeader(opcode: opcode, fin: true, masked: false, payloadLength: payloadLength, into: &out)
        out[start] |= 0x40
    }

    /// A complete unmasked frame with FIN set.
    public static func frame(opcode: WebSocketOpcode, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10 + payload.count)
        writeHeader(opcode: opcode, fin: true, payloadLength: payload.count, into: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// An unmasked close frame; the reason is truncated to fit 125 bytes on a UTF-8 boundary.
    public static func closeFrame(code: UInt16, reason: String) -> [UInt8] {
        frame(opcode: .close, payload: closePayload(code: code, reason: reason))
    }

    /// Client→server (tests, bench): masked with the given 4-byte key.
    public static func maskedFrame(
        opcode: WebSocketOpcode,
        fin: Bool,
        payload: [UInt8],
        maskKey: (UInt8, UInt8, UInt8, UInt8)
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(14 + payload.count)
        payload.withUnsafeBytes { appendMaskedFrame(opcode: opcode, fin: fin, payload: $0, maskKey: maskKey, to: &out) }
        return out
    }

    /// `maskedFrame` appended to `out`: a client that reuses one buffer allocates nothing per frame.
    public static func appendMaskedFrame(
        opcode: WebSocketOpcode,
        fin: Bool,
        payload: UnsafeRawBufferPointer,
        maskKey: (UInt8, UInt8, UInt8, UInt8),
        to out: inout [UInt8]
    ) {
        writeHeader(opcode: opcode, fin: fin, masked: true, payloadLength: payload.count, into: &out)
        out.append(maskKey.0); out.append(maskKey.1); out.append(maskKey.2); out.append(maskKey.3)
        // Copied, then masked a word at a time: a byte at a time was most of a client's cost of
        // sending (the Swift client and stampede-bench, issue 13).
        let start = out.count
        out.append(contentsOf: payload)
        out.withUnsafeMutableBytes { Masking.unmaskInPlace(UnsafeMutableRawBufferPointer(rebasing: $0[start...]), key: maskKey) }
    }

    /// Big-endian code followed by the reason, cut back to a UTF-8 character boundary.
    static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        let utf8 = reason.utf8
        if utf8.count <= maxCloseReasonBytes {
            payload.append(contentsOf: utf8)
        } else {
            let bytes = Array(utf8)
            var cut = maxCloseReasonBytes
            // bytes[cut] is the first byte dropped; back off while it continues a character.
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            payload.append(contentsOf: bytes[..<cut])
        }
        return payload
    }

    /// The most bytes a header takes (`writeHeader(opcode:payloadLength:endingAt:in:)` reserves them).
    public static let maxHeaderLength = 10

    /// Writes an unmasked FIN header into `out` so that it ends right before index `end`, in
    /// space the caller reserved (at least `maxHeaderLength` bytes), and returns where it starts:
    /// the frame's payload can be encoded before its length is known, and head and payload go
    /// out as one copy.
    public static func writeHeader(opcode: WebSocketOpcode, payloadLength: Int, endingAt end: Int, in out: inout [UInt8]) -> Int {
        precondition(payloadLength >= 0 && end >= maxHeaderLength && end <= out.count, "no room for the header")
        return out.withUnsafeMutableBufferPointer { bytes in
            var start: Int
            if payloadLength < 126 {
                start = end - 2
                bytes[start + 1] = UInt8(payloadLength)
            } else if payloadLength <= 0xFFFF {
                start = end - 4
                bytes[start + 1] = 126
                bytes[start + 2] = UInt8(payloadLength >> 8)
                bytes[start + 3] = UInt8(payloadLength & 0xFF)
            } else {
                start = end - 10
                bytes[start + 1] = 127
                let length = UInt64(payloadLength)
                for index in 0..<8 { bytes[start + 2 + index] = UInt8(truncatingIfNeeded: length >> UInt64(56 - 8 * index)) }
            }
            bytes[start] = 0x80 | opcode.rawValue
            return start
        }
    }

    static func writeHeader(opcode: WebSocketOpcode, fin: Bool, masked: Bool, payloadLength: Int, into out: inout [UInt8]) {
        precondition(payloadLength >= 0, "negative payload length")
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payloadLength < 126 {
            out.append(maskBit | UInt8(payloadLength))
        } else if payloadLength <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(payloadLength >> 8))
            out.append(UInt8(payloadLength & 0xFF))
        } else {
            out.append(maskBit | 127)
            let length = UInt64(payloadLength)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
    }
}
