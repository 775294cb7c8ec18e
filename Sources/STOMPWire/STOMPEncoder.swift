/// Serialises frames; the escaping and CRLF rules mirror `STOMPDecoder`.
public enum STOMPEncoder {
    /// Appends `frame` as written for a peer speaking `version`.
    ///
    /// Adds `content-length` when the body is non-empty and the frame has none (so bodies with NUL
    /// bytes survive), except on handshake frames. Header text that cannot be represented
    /// (a line break in 1.0 or in CONNECT/CONNECTED) is written as a space.
    public static func encode(_ frame: STOMPFrame, version: STOMPVersion, into out: inout [UInt8]) {
        let escaping = HeaderEscaping(command: frame.command, version: version)
        WireText.append(frame.command.rawValue, to: &out)
        out.append(ASCII.lf)
        frame.headers.encode(escaping, into: &out)
        if !frame.command.isHandshake {
            appendContentLengthIfMissing(headers: frame.headers, bodyCount: frame.body.count, to: &out)
        }
        out.append(ASCII.lf)
        out.append(contentsOf: frame.body)
        out.append(ASCII.nul)
    }

    /// The bytes of `frame` as written for a peer speaking `version`.
    public static func encode(_ frame: STOMPFrame, version: STOMPVersion) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize(headers: frame.headers, bodyCount: frame.body.count) + frame.command.rawValue.utf8.count)
        encode(frame, version: version, into: &out)
        return out
    }

    /// MESSAGE frames are encoded in parts so the big part is shared by every subscriber:
    /// head = "MESSAGE\n" + per-subscriber headers; tail = shared header lines + content-length +
    /// "\n" + body + "\0" (`encodeMessageTail`). The head is written in two parts itself: the
    /// start ("MESSAGE" and `message-id`, the same for every subscriber of a publication) and the
    /// rest (`subscription`, `ack`). Start + rest + tail is a MESSAGE with the headers
    /// message-id, subscription, ack (if any), then the tail's. With `messageNumber`, the
    /// message id is `messageID` followed by that number in decimal, written without a String.
    public static func encodeMessageHeadStart(messageID: String, messageNumber: UInt64?, version: STOMPVersion, into out: inout [UInt8]) {
        WireText.append("MESSAGE\nmessage-id:", to: &out)
        HeaderEscaping(command: .MESSAGE, version: version).append(messageID, to: &out)
        if let messageNumber { appendDecimal(messageNumber, to: &out) }
        out.append(ASCII.lf)
    }

    /// The per-subscriber rest of a MESSAGE head; see `encodeMessageHeadStart`.
    public static func encodeMessageHeadRest(subscription: String, ack: String?, version: STOMPVersion, into out: inout [UInt8]) {
        let escaping = HeaderEscaping(command: .MESSAGE, version: version)
        WireText.append("subscription:", to: &out)
        escaping.append(subscription, to: &out)
        if let ack {
            WireText.append("\nack:", to: &out)
            escaping.append(ack, to: &out)
        }
        out.append(ASCII.lf)
    }

    /// The shared part of a MESSAGE frame. Head + tail equals `encode` of a MESSAGE whose
    /// headers are message-id, subscription, ack (if any), then `headers`.
    public static func encodeMessageTail(headers: STOMPHeaders, body: [UInt8], version: STOMPVersion) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize(headers: headers, bodyCount: body.count))
        headers.encode(HeaderEscaping(command: .MESSAGE, version: version), into: &out)
        appendContentLengthIfMissing(headers: headers, bodyCount: body.count, to: &out)
        out.append(ASCII.lf)
        out.append(contentsOf: body)
        out.append(ASCII.nul)
        return out
    }

    /// `encodeMessageTail(headers:body:version:)` of a `destination` header followed by `headers`,
    /// without building that header array (once per publication on the delivery path).
    public static func encodeMessageTail(destination: String, headers: STOMPHeaders, body: [UInt8], version: STOMPVersion) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize(headers: headers, bodyCount: body.count) + destination.utf8.count + 13)
        encodeMessageTail(destination: destination, headers: headers, body: body, version: version, into: &out)
        return out
    }

    /// `encodeMessageTail(destination:…)` appended to `out` (a head already there, for a
    /// MESSAGE that goes to one subscriber only and is written in one piece).
    public static func encodeMessageTail(destination: String, headers: STOMPHeaders, body: [UInt8], version: STOMPVersion, into out: inout [UInt8]) {
        let escaping = HeaderEscaping(command: .MESSAGE, version: version)
        WireText.append("destination:", to: &out)
        escaping.append(destination, to: &out)
        out.append(ASCII.lf)
        headers.encode(escaping, into: &out)
        appendContentLengthIfMissing(headers: headers, bodyCount: body.count, to: &out)
        out.append(ASCII.lf)
        body.withUnsafeBufferPointer { out.append(contentsOf: $0) }
        out.append(ASCII.nul)
    }

    /// Bytes of the header lines, a possible content-length line, the blank line, body and NUL
    /// (escapes aside), so that encoding into a fresh array never reallocates.
    private static func estimatedSize(headers: STOMPHeaders, bodyCount: Int) -> Int {
        bodyCount + headers.lineBytes + 40
    }

    private static func appendContentLengthIfMissing(headers: STOMPHeaders, bodyCount: Int, to out: inout [UInt8]) {
        guard bodyCount > 0, !headers.hasContentLength else { return }
        WireText.append("content-length:", to: &out)
        appendDecimal(bodyCount, to: &out)
        out.append(ASCII.lf)
    }

    /// Writes the digits of a non-negative integer without building a String.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        appendDecimal(UInt64(max(0, value)), to: &out)
    }

    /// The digits are made from the right into a fixed buffer: one division per digit.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }
}
