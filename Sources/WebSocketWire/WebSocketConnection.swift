/// One WebSocket connection as a pure state machine: feed received bytes, drain `nextEvent()`, and
/// carry out the events (deliver data, write bytes, close the socket). No I/O happens here.
///
/// Data frames are not reassembled into messages: each data frame's payload is emitted as soon as
/// the frame is complete, because STOMP is a byte stream on top. Protocol violations end the
/// connection with the close code RFC 6455 asks for (1002, 1007, 1009).
public struct WebSocketConnection: Sendable {
    /// Something the owner of the connection must act on.
    public enum Event: Sendable, Equatable {
        /// Application payload of one data frame, unmasked, in order (empty frames are skipped).
        case data([UInt8], isText: Bool)
        /// The final frame of a data message was seen.
        case messageEnd
        /// Framed bytes to send to the peer (pong, close echo, our close).
        case write([UInt8])
        /// Write everything queued, then close the TCP connection.
        case closeSocket
    }

    /// Where the closing handshake stands.
    public enum State: Sendable {
        /// Data flows both ways.
        case open
        /// We sent a close frame and are waiting for the peer's.
        case closing
        /// Both sides are done; `closeSocket` has been emitted.
        case closed
    }

    /// A parsed frame header waiting for its payload.
    private struct FrameHeader: Sendable {
        var fin: Bool
        var compressed: Bool
        var opcode: WebSocketOpcode
        var maskKey: (UInt8, UInt8, UInt8, UInt8)?
        var length: Int
    }

    private enum DecoderState: Sendable {
        case header
        case payload(FrameHeader)
    }

    private let role: WebSocketRole
    private let limits: WebSocketLimits
    /// Set when permessage-deflate was negotiated: RSV1 on a message's first frame means compressed.
    private let inflater: (any WebSocketInflater)?

    /// Current closing-handshake state.
    public private(set) var state: State = .open
    /// The code of the close frame we sent (nil before, or when we echoed a close without a code).
    public private(set) var closeCodeSent: UInt16?
    /// The code of the peer's close frame; 1005 when it carried none (RFC 6455 §7.1.5).
    public private(set) var closeCodeReceived: UInt16?

    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// Bytes of input not yet turned into events (a frame in progress).
    public var bufferedByteCount: Int { buffer.count - readIndex }
    /// Frees unparsed input: the connection is closing and reads no more (events already parsed stay).
    public mutating func discardInput() {
        buffer = []
        readIndex = 0
    }

    /// Memory held for that input: the buffer's capacity while any byte waits, else nothing.
    public var heldByteCount: Int { buffer.count > readIndex ? buffer.capacity : 0 }
    /// A frame has started and is not complete, or a fragmented message is waiting for its last fragment.
    public var isInsideFrame: Bool { readIndex < buffer.count || messageInProgress }
    private var decoder: DecoderState = .header
    private var events: [Event] = []
    private var eventIndex = 0

    private var messageInProgress = false
    private var messageIsText = false
    /// Whether the message in progress (or the last one, after `.messageEnd`) is text: an
    /// empty message has no `.data` event to say so.
    public var messageIsTextMessage: Bool { messageIsText }
    private var messageCompressed = false
    private var messageBytes = 0
    private var textValidator = UTF8Validator()
    private var random = SystemRandomNumberGenerator()

    /// Creates a connection in the open state; `role` decides which masking the peer must use.
    /// With an `inflater` (permessage-deflate negotiated), compressed messages are inflated and
    /// their inflated size counts against `limits.maxMessageBytes`.
    public init(role: WebSocketRole = .server, limits: WebSocketLimits = .init(), inflater: (any WebSocketInflater)? = nil) {
        self.role = role
        self.limits = limits
        self.inflater = inflater
    }

    /// Appends received bytes; ignored once closed.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard state != .closed else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes; ignored once closed.
    public mutating func feed(_ bytes: [UInt8]) {
        guard state != .closed else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Drains parsed input into events (call after feed until nil). After a protocol error it emits
    /// `.write(close frame)` and `.closeSocket` once, then nothing.
    public mutating func nextEvent() -> Event? {
        var noScratch: [UInt8] = []
        return nextEvent(reusing: &noScratch)
    }

    /// `nextEvent()` that unmasks a data frame's payload into the array taken from `scratch`
    /// (which is left empty) and returns it as the event's payload. A caller that puts the
    /// payload back into `scratch` when done with it (`scratch = payload`) makes frames up to
    /// `reusedPayloadLimit` bytes allocate nothing in steady state (issue 13: one allocation and
    /// free per SEND before). One scratch can serve every connection of a loop. The array and
    /// the events are moved, never copied: each copy was an atomic retain and release.
    public mutating func nextEvent(reusing scratch: inout [UInt8]) -> Event? {
        if eventIndex < events.count {
            eventIndex += 1
            return takeEvent(at: eventIndex - 1)
        }
        // Emptied from the end: the taken events are placeholders, and dropping them one by one
        // is inlined, where `removeAll` destroyed them through the runtime (issue 13).
        while !events.isEmpty { events.removeLast() }
        eventIndex = 0
        while events.isEmpty && state != .closed && parseStep(scratch: &scratch) {}
        guard !events.isEmpty else { return nil }
        eventIndex = 1
        return takeEvent(at: 0)
    }

    /// Moves an event out of `events`, leaving a placeholder that is never read.
    private mutating func takeEvent(at index: Int) -> Event {
        var event = Event.messageEnd
        swap(&event, &events[index])
        return event
    }

    /// Payloads up to this size are unmasked into the caller's scratch array.
    public static let reusedPayloadLimit = 64 * 1024

    /// We initiate a close (e.g. STOMP ERROR sent, shutdown 1001). Returns the close frame bytes,
    /// or nil if already closing or closed.
    public mutating func close(code: UInt16, reason: String) -> [UInt8]? {
        guard state == .open else { return nil }
        state = .closing
        closeCodeSent = code
        return frameToPeer(.close, WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    // MARK: - Decoding

    /// Parses one header or one payload; false when more bytes are needed.
    private mutating func parseStep(scratch: inout [UInt8]) -> Bool {
        switch decoder {
        case .header:
            return parseHeader()
        case .payload(let header):
            guard buffer.count - readIndex >= header.length else { return false }
            let payload = unmaskedPayload(header, scratch: &scratch)
            readIndex += header.length
            decoder = .header
            handleFrame(header, payload: payload)
            return true
        }
    }

    private mutating func parseHeader() -> Bool {
        let available = buffer.count - readIndex
        guard available >= 2 else { return false }
        let first = buffer[readIndex], second = buffer[readIndex + 1]
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        let shortLength = Int(second & 0x7F)

        // Everything decidable from the first two bytes is decided before waiting for more.
        let compressed = first & 0x40 != 0
        guard first & 0x30 == 0 else { return fail(WebSocketCloseCode.protocolError, "reserved bits set") }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            return fail(WebSocketCloseCode.protocolError, "unknown opcode")
        }
        // RFC 7692 §6: RSV1 only with the extension, and only on the first frame of a data message.
        if compressed && (inflater == nil || opcode.isControl || opcode == .continuation) {
            return fail(WebSocketCloseCode.protocolError, "reserved bits set")
        }
        guard masked == (role == .server) else {
            return fail(WebSocketCloseCode.protocolError, role == .server ? "client frames must be masked" : "server frames must not be masked")
        }
        if opcode.isControl {
            guard fin else { return fail(WebSocketCloseCode.protocolError, "fragmented control frame") }
            guard shortLength <= 125 else { return fail(WebSocketCloseCode.protocolError, "control frame payload over 125 bytes") }
        } else if opcode == .continuation {
            guard messageInProgress else { return fail(WebSocketCloseCode.protocolError, "continuation frame outside a message") }
        } else {
            guard !messageInProgress else { return fail(WebSocketCloseCode.protocolError, "new message inside a fragmented message") }
        }

        let lengthBytes = shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0
        guard available >= 2 + lengthBytes else { return false }
        var length = shortLength
        if lengthBytes > 0 {
            var wide: UInt64 = 0
            for offset in 0..<lengthBytes {
                wide = wide << 8 | UInt64(buffer[readIndex + 2 + offset])
            }
            guard wide >> 63 == 0 else { return fail(WebSocketCloseCode.protocolError, "64-bit length with the high bit set") }
            length = Int(wide)
        }
        // Limits are decided from the header, before any payload is buffered.
        guard length <= limits.maxFrameBytes else { return fail(WebSocketCloseCode.messageTooBig, "frame too big") }
        if !opcode.isControl {
            let soFar = opcode == .continuation ? messageBytes : 0
            guard length <= limits.maxMessageBytes - soFar else { return fail(WebSocketCloseCode.messageTooBig, "message too big") }
        }
        let headerSize = 2 + lengthBytes + (masked ? 4 : 0)
        guard available >= headerSize else { return false }
        var maskKey: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            let at = readIndex + 2 + lengthBytes
            maskKey = (buffer[at], buffer[at + 1], buffer[at + 2], buffer[at + 3])
        }
        readIndex += headerSize
        decoder = .payload(FrameHeader(fin: fin, compressed: compressed, opcode: opcode, maskKey: maskKey, length: length))
        return true
    }

    private func unmaskedPayload(_ header: FrameHeader, scratch: inout [UInt8]) -> [UInt8] {
        let range = readIndex..<(readIndex + header.length)
        guard header.length <= Self.reusedPayloadLimit, header.length > 0 else {
            guard let key = header.maskKey else { return Array(buffer[range]) }
            return buffer.withUnsafeBytes { raw in Masking.unmask(UnsafeRawBufferPointer(rebasing: raw[range]), key: key) }
        }
        // Unmasked frames (a client reading the server) are copied into the scratch too.
        var payload: [UInt8] = []
        swap(&payload, &scratch)
        payload.removeAll(keepingCapacity: true)
        // Through a pointer: a slice of `buffer` retained and released it per frame.
        buffer.withUnsafeBufferPointer { payload.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
        if let key = header.maskKey { payload.withUnsafeMutableBytes { Masking.unmaskInPlace($0, key: key) } }
        return payload
    }

    private mutating func handleFrame(_ header: FrameHeader, payload framePayload: consuming [UInt8]) {
        switch header.opcode {
        case .text, .binary, .continuation:
            if header.opcode != .continuation {
                messageIsText = header.opcode == .text
                messageCompressed = header.compressed
                textValidator = UTF8Validator()
                messageBytes = 0
            }
            var payload = consume framePayload  // moved into the event below, not copied
            if messageCompressed, let inflater {
                switch inflater.inflate(payload, endOfMessage: header.fin, limit: limits.maxMessageBytes - messageBytes) {
                case .inflated(let bytes): payload = bytes
                case .tooBig:
                    fail(WebSocketCloseCode.messageTooBig, "message too big")
                    return
                case .invalid:
                    fail(WebSocketCloseCode.protocolError, "invalid compressed data")
                    return
                }
            }
            messageBytes += payload.count
            if messageIsText {
                guard payload.withUnsafeBytes({ textValidator.feed($0) }) else {
                    fail(WebSocketCloseCode.invalidPayload, "text message is not valid UTF-8")
                    return
                }
                if header.fin && !textValidator.isAtBoundary {
                    fail(WebSocketCloseCode.invalidPayload, "text message ends inside a UTF-8 sequence")
                    return
                }
            }
            messageInProgress = !header.fin
            // Data that arrives after we sent our close is dropped.
            guard state == .open else { return }
            if !payload.isEmpty { events.append(.data(consume payload, isText: messageIsText)) }
            if header.fin { events.append(.messageEnd) }
        case .ping:
            if state == .open { events.append(.write(frameToPeer(.pong, framePayload))) }
        case .pong:
            break
        case .close:
            handlePeerClose(framePayload)
        }
    }

    private mutating func handlePeerClose(_ payload: [UInt8]) {
        var code: UInt16?
        if payload.count == 1 {
            fail(WebSocketCloseCode.protocolError, "close frame with a one-byte payload")
            return
        }
        if payload.count >= 2 {
            let received = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard WebSocketCloseCode.isValidReceived(received) else {
                fail(WebSocketCloseCode.protocolError, "invalid close code")
                return
            }
            guard UTF8Validator.isValid(Array(payload[2...])) else {
                fail(WebSocketCloseCode.invalidPayload, "close reason is not valid UTF-8")
                return
            }
            code = received
        }
        closeCodeReceived = code ?? 1005
        if state == .open {
            // RFC 6455 §5.5.1: echo the status code; a close without one is answered without one.
            let reply = code.map { WebSocketFrameEncoder.closePayload(code: $0, reason: "") } ?? []
            closeCodeSent = code
            events.append(.write(frameToPeer(.close, reply)))
        }
        finish()
    }

    /// Ends the connection for a protocol violation; returns true so `parseStep` callers can `return fail(...)`.
    @discardableResult
    private mutating func fail(_ code: UInt16, _ reason: String) -> Bool {
        if state == .open {
            closeCodeSent = code
            events.append(.write(frameToPeer(.close, WebSocketFrameEncoder.closePayload(code: code, reason: reason))))
        }
        finish()
        return true
    }

    private mutating func finish() {
        events.append(.closeSocket)
        state = .closed
        buffer = []
        readIndex = 0
        decoder = .header
    }

    /// Frames to the peer: unmasked from a server, masked with a fresh random key from a client.
    private mutating func frameToPeer(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        switch role {
        case .server:
            return WebSocketFrameEncoder.frame(opcode: opcode, payload: payload)
        case .client:
            let key = random.next() as UInt32
            return WebSocketFrameEncoder.maskedFrame(
                opcode: opcode, fin: true, payload: payload,
                maskKey: (UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF))
            )
        }
    }

    /// Drops consumed bytes: free when all were consumed, otherwise only once they dominate the buffer.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            // A big frame's buffer goes back to the allocator; small ones are reused.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        } else if readIndex >= 65536 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
