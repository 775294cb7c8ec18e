/// Serialises frames; the escaping and CRLF rules mirror `STOMPDecoder`.
public enum STOMPEncoder {
    /// Appends `frame` as written for a peer speaking `version`.
    ///
    /// Adds `content-length` when the body is non-empty and the frame has none (so bodies with NUL
    /// bytes survive), except on handshake frames. Header text that cannot be represented
    /// (a line break in 1.0 or in CONNECT/CONNECTED) is written as a space.
    public static func encode(_ frame: STOMPFrame, version: STOMPVersion, into out: inout [UInt8]) {
        let escaping = HeaderEscaping(command: frame.command, version: version)
        out.append(contentsOf: frame.command.rawValue.utf8)
        out.append(ASCII.lf)
        for header in frame.headers {
            appendHeader(header.name, header.value, escaping, to: &out)
        }
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
        var estimate = frame.body.count + 32
        for header in frame.headers { estimate += header.name.utf8.count + header.value.utf8.count + 2 }
        out.reserveCapacity(estimate)
        encode(frame, version: version, into: &out)
        return out
    }

    /// MESSAGE frames are encoded in two parts so the big part is shared by every subscriber:
    /// head = "MESSAGE\n" + per-subscriber headers; tail = shared header lines + content-length + "\n" + body + "\0".
    public static func encodeMessageHead(subscription: String, messageID: String, ack: String?, version: STOMPVersion, into out: inout [UInt8]) {
        let escaping = HeaderEscaping(command: .MESSAGE, version: version)
        out.append(contentsOf: STOMPCommand.MESSAGE.rawValue.utf8)
        out.append(ASCII.lf)
        appendHeader("subscription", subscription, escaping, to: &out)
        appendHeader("message-id", messageID, escaping, to: &out)
        if let ack {
            appendHeader("ack", ack, escaping, to: &out)
        }
    }

    /// The shared part of a MESSAGE frame; see `encodeMessageHead`. Head + tail equals `encode` of
    /// a MESSAGE whose headers are subscription, message-id, ack (if any), then `headers`.
    public static func encodeMessageTail(headers: [STOMPHeader], body: [UInt8], version: STOMPVersion) -> [UInt8] {
        let escaping = HeaderEscaping(command: .MESSAGE, version: version)
        var out: [UInt8] = []
        var estimate = body.count + 32
        for header in headers { estimate += header.name.utf8.count + header.value.utf8.count + 2 }
        out.reserveCapacity(estimate)
        for header in headers {
            appendHeader(header.name, header.value, escaping, to: &out)
        }
        appendContentLengthIfMissing(headers: headers, bodyCount: body.count, to: &out)
        out.append(ASCII.lf)
        out.append(contentsOf: body)
        out.append(ASCII.nul)
        return out
    }

    private static func appendHeader(_ name: String, _ value: String, _ escaping: HeaderEscaping, to out: inout [UInt8]) {
        escaping.append(name, to: &out)
        out.append(ASCII.colon)
        escaping.append(value, to: &out)
        out.append(ASCII.lf)
    }

    private static func appendContentLengthIfMissing(headers: [STOMPHeader], bodyCount: Int, to out: inout [UInt8]) {
        guard bodyCount > 0, !headers.contains(where: { $0.name == "content-length" }) else { return }
        out.append(contentsOf: "content-length:".utf8)
        appendDecimal(bodyCount, to: &out)
        out.append(ASCII.lf)
    }

    /// Writes the digits of a non-negative integer without building a String.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: 0x30 + (value / divisor) % 10))
            divisor /= 10
        }
    }
}
