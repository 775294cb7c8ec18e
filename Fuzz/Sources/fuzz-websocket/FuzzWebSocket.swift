import FuzzSupport
import WebSocketWire

/// WebSocketConnection: the input is the byte stream from the peer (mostly as a server reading a
/// browser's masked frames; sometimes as a client, to reach the other masking rule).
///
/// Checks: whole and piecewise feeding give the same events and end state (our frames compared
/// after unmasking, since a client masks with a random key); nothing follows `.closeSocket`; every
/// frame we write is well formed (FIN, pong or close, masking by role, valid close payload); data
/// respects the limits and text messages are valid UTF-8 (stdlib validation); after our own
/// `close(code:reason:)` no data or pong is emitted and the peer's close is not answered again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: input)
    let role: WebSocketRole = random.chance(4) ? .client : .server
    let limits = random.chance(2)
        ? WebSocketLimits()
        : WebSocketLimits(maxMessageBytes: random.within(0...300), maxFrameBytes: random.within(0...200))
    let whole = run(input, pieces: [0..<input.count], role: role, limits: limits, closeAfterPiece: nil)
    let split = run(input, pieces: random.pieces(of: input.count), role: role, limits: limits, closeAfterPiece: nil)
    invariant(whole == split, "\(role): whole \(whole) != split \(split)")

    let pieces = random.pieces(of: input.count)
    _ = run(input, pieces: pieces, role: role, limits: limits, closeAfterPiece: random.below(pieces.count + 1))
    return 0
}

/// An event with our frames reduced to opcode + payload, so masked writes compare equal.
private enum Seen: Equatable {
    case data([UInt8], isText: Bool)
    case messageEnd
    case wrote(opcode: UInt8, payload: [UInt8])
    case closeSocket
}

private struct Outcome: Equatable, CustomStringConvertible {
    var seen: [Seen] = []
    var state: WebSocketConnection.State = .open
    var closeCodeSent: UInt16?
    var closeCodeReceived: UInt16?

    var description: String {
        "\(seen.count) events \(seen), state \(state), sent \(String(describing: closeCodeSent)), received \(String(describing: closeCodeReceived))"
    }
}

/// Feeds `pieces`, draining events after each; calls `close` after piece number `closeAfterPiece`.
private func run(
    _ input: [UInt8], pieces: [Range<Int>], role: WebSocketRole, limits: WebSocketLimits, closeAfterPiece: Int?
) -> Outcome {
    var connection = WebSocketConnection(role: role, limits: limits)
    var outcome = Outcome()
    var message = MessageCheck(limits: limits)
    var weClosed = false
    if closeAfterPiece == 0 { weClosed = closeOurselves(&connection) }
    for (index, piece) in pieces.enumerated() {
        if index % 2 == 0 {
            connection.feed(Array(input[piece]))
        } else {
            input[piece].withUnsafeBytes { connection.feed($0) }
        }
        while let event = connection.nextEvent() {
            invariant(outcome.seen.last != .closeSocket, "event \(event) after closeSocket")
            let seen = reduce(event, role: role)
            if weClosed {
                switch seen {
                case .data, .messageEnd: invariant(false, "data after we sent close: \(seen)")
                case .wrote: invariant(false, "wrote \(seen) while closing")
                case .closeSocket: break
                }
            }
            message.observe(seen)
            outcome.seen.append(seen)
        }
        if outcome.seen.last == .closeSocket {
            invariant(connection.state == .closed, "closeSocket emitted in state \(connection.state)")
            connection.feed(Array(input[piece.upperBound...]))
            connection.feed([0x88, 0x80, 0, 0, 0, 0])
            invariant(connection.nextEvent() == nil, "events after closeSocket")
            invariant(connection.close(code: 1000, reason: "") == nil, "close() after closeSocket")
            break
        }
        invariant(connection.state != .closed, "closed without closeSocket")
        if closeAfterPiece == index + 1 { weClosed = closeOurselves(&connection) }
    }
    if case .wrote(opcode: 8, payload: let payload)? = outcome.seen.dropLast().last, outcome.seen.last == .closeSocket {
        let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
        invariant(code == connection.closeCodeSent, "close frame code \(String(describing: code)) != closeCodeSent \(String(describing: connection.closeCodeSent))")
    }
    outcome.state = connection.state
    outcome.closeCodeSent = connection.closeCodeSent
    outcome.closeCodeReceived = connection.closeCodeReceived
    return outcome
}

/// Starts our closing handshake; returns whether a close frame was produced.
private func closeOurselves(_ connection: inout WebSocketConnection) -> Bool {
    let wasOpen = connection.state == .open
    let reason = String(repeating: "é", count: 70)  // 140 bytes: must be cut on a character boundary
    guard let bytes = connection.close(code: 1001, reason: reason) else {
        invariant(!wasOpen, "close() refused while open")
        return false
    }
    invariant(wasOpen, "close() produced a frame in state \(connection.state)")
    invariant(connection.state == .closing, "state \(connection.state) after close()")
    invariant(connection.close(code: 1000, reason: "") == nil, "second close() produced a frame")
    let frame = parseOurFrame(bytes, masked: false)
        ?? parseOurFrame(bytes, masked: true)
    guard let frame else {
        invariant(false, "close() wrote a malformed frame \(hex(bytes))")
        return true
    }
    invariant(frame.opcode == 8 && frame.payload.count <= 125, "close() wrote \(hex(bytes))")
    invariant(isValidUTF8(frame.payload.dropFirst(2)), "close reason cut inside a character: \(hex(frame.payload))")
    return true
}

private func reduce(_ event: WebSocketConnection.Event, role: WebSocketRole) -> Seen {
    switch event {
    case .data(let bytes, let isText):
        return .data(bytes, isText: isText)
    case .messageEnd:
        return .messageEnd
    case .closeSocket:
        return .closeSocket
    case .write(let bytes):
        guard let frame = parseOurFrame(bytes, masked: role == .client) else {
            invariant(false, "\(role) wrote a malformed frame \(hex(bytes))")
            return .closeSocket
        }
        invariant(frame.opcode == 0x8 || frame.opcode == 0xA, "wrote opcode \(frame.opcode)")
        invariant(frame.payload.count <= 125, "control frame of \(frame.payload.count) bytes")
        if frame.opcode == 0x8 && !frame.payload.isEmpty {
            invariant(frame.payload.count >= 2, "one-byte close payload")
            let code = UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
            invariant(WebSocketCloseCode.isValidReceived(code), "sent close code \(code) a peer may not send")
            invariant(isValidUTF8(frame.payload.dropFirst(2)), "close reason not UTF-8: \(hex(frame.payload))")
        }
        return .wrote(opcode: frame.opcode, payload: frame.payload)
    }
}

/// Parses one complete frame with FIN set and nothing after it; nil when it is anything else.
private func parseOurFrame(_ bytes: [UInt8], masked: Bool) -> (opcode: UInt8, payload: [UInt8])? {
    guard bytes.count >= 2, bytes[0] & 0xF0 == 0x80, (bytes[1] & 0x80 != 0) == masked else { return nil }
    let length = Int(bytes[1] & 0x7F)
    guard length <= 125 else { return nil }
    let start = 2 + (masked ? 4 : 0)
    guard bytes.count == start + length else { return nil }
    var payload = Array(bytes[start...])
    if masked {
        for index in payload.indices { payload[index] ^= bytes[2 + index % 4] }
    }
    return (bytes[0] & 0x0F, payload)
}

/// Follows data events message by message: limits, text validity, one type per message.
private struct MessageCheck {
    let limits: WebSocketLimits
    var bytes: [UInt8] = []
    var isText: Bool?

    init(limits: WebSocketLimits) { self.limits = limits }

    mutating func observe(_ seen: Seen) {
        switch seen {
        case .data(let payload, let text):
            invariant(!payload.isEmpty, "empty data event")
            invariant(payload.count <= limits.maxFrameBytes, "\(payload.count) bytes in one frame, limit \(limits.maxFrameBytes)")
            invariant(isText == nil || isText == text, "message changed type mid-way")
            isText = text
            bytes += payload
            invariant(bytes.count <= limits.maxMessageBytes, "message of \(bytes.count) bytes, limit \(limits.maxMessageBytes)")
        case .messageEnd:
            if isText == true { invariant(isValidUTF8(bytes), "text message not UTF-8: \(hex(bytes))") }
            bytes = []
            isText = nil
        case .wrote, .closeSocket:
            break
        }
    }
}
