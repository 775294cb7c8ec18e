import WebSocketWire
import XCTest

typealias Event = WebSocketConnection.Event

/// The masking key from RFC 6455 §5.7's examples.
let rfcMaskKey: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// A client→server (masked) frame.
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
    WebSocketFrameEncoder.maskedFrame(opcode: opcode, fin: fin, payload: payload, maskKey: rfcMaskKey)
}

/// A client→server (masked) frame carrying UTF-8 text.
func clientFrame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> [UInt8] {
    clientFrame(opcode, Array(text.utf8), fin: fin)
}

/// A masked frame whose first byte (FIN, RSV, opcode) is given raw, for protocol violations.
func rawClientFrame(firstByte: UInt8, payload: [UInt8] = []) -> [UInt8] {
    var frame = clientFrame(.binary, payload)
    frame[0] = firstByte
    return frame
}

/// A server→client close frame with `code`, as a write event (no reason).
func closeWrite(_ code: UInt16) -> Event {
    .write(WebSocketFrameEncoder.closeFrame(code: code, reason: ""))
}

/// Payload of a frame we wrote, unmasking it if it was masked; nil if `bytes` is not one whole frame.
func decodeWrittenFrame(_ bytes: [UInt8]) -> (opcode: UInt8, masked: Bool, payload: [UInt8])? {
    guard bytes.count >= 2 else { return nil }
    let masked = bytes[1] & 0x80 != 0
    var length = Int(bytes[1] & 0x7F)
    var offset = 2
    if length == 126 {
        length = Int(bytes[2]) << 8 | Int(bytes[3])
        offset = 4
    } else if length == 127 {
        length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
        offset = 10
    }
    var key: [UInt8] = [0, 0, 0, 0]
    if masked {
        key = Array(bytes[offset..<offset + 4])
        offset += 4
    }
    guard bytes.count == offset + length else { return nil }
    let payload = bytes[offset...].enumerated().map { $0.element ^ key[$0.offset & 3] }
    return (bytes[0] & 0x0F, masked, payload)
}

/// Client-role writes are masked with random keys; rewrite them unmasked so runs compare equal.
private func normalised(_ event: Event) -> Event {
    guard case .write(let bytes) = event, let frame = decodeWrittenFrame(bytes), frame.masked,
          let opcode = WebSocketOpcode(rawValue: frame.opcode) else { return event }
    return .write(WebSocketFrameEncoder.frame(opcode: opcode, payload: frame.payload))
}

/// Every event currently available.
func drain(_ connection: inout WebSocketConnection) -> [Event] {
    var events: [Event] = []
    while let event = connection.nextEvent() { events.append(event) }
    return events
}

/// Feeds `input` to a fresh connection whole and one byte at a time, asserts both give the same
/// events (client writes compared unmasked), and that nothing follows a `.closeSocket`.
func eventsBothWays(
    _ input: [UInt8],
    role: WebSocketRole = .server,
    limits: WebSocketLimits = .init(),
    file: StaticString = #filePath,
    line: UInt = #line
) -> [Event] {
    var whole = WebSocketConnection(role: role, limits: limits)
    whole.feed(input)
    let wholeEvents = drain(&whole)

    var bytewise = WebSocketConnection(role: role, limits: limits)
    var bytewiseEvents: [Event] = []
    for byte in input {
        bytewise.feed([byte])
        bytewiseEvents += drain(&bytewise)
    }
    XCTAssertEqual(wholeEvents.map(normalised), bytewiseEvents.map(normalised), "whole and byte-by-byte disagree", file: file, line: line)

    if wholeEvents.last == .closeSocket {
        XCTAssertEqual(wholeEvents.filter { $0 == .closeSocket }.count, 1, file: file, line: line)
        XCTAssertEqual(whole.state, .closed, file: file, line: line)
        whole.feed(clientFrame(.ping, "after close"))
        XCTAssertEqual(drain(&whole), [], "events after closeSocket", file: file, line: line)
    }
    return wholeEvents.map(normalised)
}

/// Asserts `input` ends the connection with a close frame carrying `code`, then `.closeSocket`.
func assertFails(
    _ input: [UInt8],
    with code: UInt16,
    role: WebSocketRole = .server,
    limits: WebSocketLimits = .init(),
    file: StaticString = #filePath,
    line: UInt = #line
) {
    let events = eventsBothWays(input, role: role, limits: limits, file: file, line: line)
    guard events.count >= 2, events.last == .closeSocket, case .write(let bytes) = events[events.count - 2],
          let frame = decodeWrittenFrame(bytes), frame.opcode == WebSocketOpcode.close.rawValue, frame.payload.count >= 2 else {
        XCTFail("expected a close frame then closeSocket, got \(events)", file: file, line: line)
        return
    }
    XCTAssertEqual(UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]), code, file: file, line: line)
}
