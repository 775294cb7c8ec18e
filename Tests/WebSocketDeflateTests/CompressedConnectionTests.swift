import WebSocketDeflate
import WebSocketWire
import XCTest

/// `WebSocketConnection` with a negotiated inflater: RSV1 rules, inflation, limits.
final class CompressedConnectionTests: XCTestCase {
    private let key: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

    private func compressedFrame(_ payload: [UInt8], opcode: WebSocketOpcode = .text, fin: Bool = true, rsv1: Bool = true) -> [UInt8] {
        var frame = WebSocketFrameEncoder.maskedFrame(opcode: opcode, fin: fin, payload: payload, maskKey: key)
        if rsv1 { frame[0] |= 0x40 }
        return frame
    }

    private func events(_ connection: inout WebSocketConnection, feeding bytes: [UInt8], byteByByte: Bool = false) -> [WebSocketConnection.Event] {
        var out: [WebSocketConnection.Event] = []
        let chunks = byteByByte ? bytes.map { [$0] } : [bytes]
        for chunk in chunks {
            connection.feed(chunk)
            while let event = connection.nextEvent() { out.append(event) }
        }
        return out
    }

    private func connection(limit: Int = 1024 * 1024) throws -> WebSocketConnection {
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        return WebSocketConnection(role: .server, limits: WebSocketLimits(maxMessageBytes: limit, maxFrameBytes: limit), inflater: inflater)
    }

    func testCompressedTextMessageIsDeliveredInflatedFedByteByByte() throws {
        var ws = try connection()
        let received = events(&ws, feeding: compressedFrame([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]), byteByByte: true)
        XCTAssertEqual(received, [.data(Array("Hello".utf8), isText: true), .messageEnd])
    }

    func testUncompressedMessagesStillPassWithTheExtension() throws {
        var ws = try connection()
        XCTAssertEqual(events(&ws, feeding: compressedFrame(Array("plain".utf8), rsv1: false)),
                       [.data(Array("plain".utf8), isText: true), .messageEnd])
    }

    func testFragmentedCompressedMessageHasRSV1OnlyOnTheFirstFrame() throws {
        var ws = try connection()
        let first = compressedFrame([0xF2, 0x48, 0xCD], fin: false)
        let second = compressedFrame([0xC9, 0xC9, 0x07, 0x00], opcode: .continuation, rsv1: false)
        let received = events(&ws, feeding: first + second)
        let text = received.compactMap { if case .data(let bytes, _) = $0 { return bytes } else { return nil } }.joined()
        XCTAssertEqual(Array(text), Array("Hello".utf8))
        XCTAssertEqual(received.last, .messageEnd)
    }

    func testRSV1OnAContinuationFrameIsAProtocolError() throws {
        var ws = try connection()
        let first = compressedFrame([0xF2, 0x48, 0xCD], fin: false)
        let second = compressedFrame([0xC9, 0xC9, 0x07, 0x00], opcode: .continuation)
        let received = events(&ws, feeding: first + second)
        XCTAssertEqual(received.last, .closeSocket)
        XCTAssertEqual(ws.closeCodeSent, WebSocketCloseCode.protocolError)
    }

    func testRSV1WithoutTheExtensionIsAProtocolError() {
        var ws = WebSocketConnection(role: .server)
        _ = events(&ws, feeding: compressedFrame([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]))
        XCTAssertEqual(ws.closeCodeSent, WebSocketCloseCode.protocolError)
    }

    func testZlibBombClosesWith1009() throws {
        let bomb = try XCTUnwrap(MessageDeflater(level: 9)).compress([UInt8](repeating: 0x41, count: 4 * 1024 * 1024))
        var ws = try connection(limit: 64 * 1024)
        let received = events(&ws, feeding: compressedFrame(bomb))
        XCTAssertEqual(ws.closeCodeSent, WebSocketCloseCode.messageTooBig)
        XCTAssertEqual(received.last, .closeSocket)
        XCTAssertFalse(received.contains { if case .data = $0 { return true } else { return false } })
    }

    func testInflatedInvalidUTF8TextCloses1007() throws {
        let compressed = try XCTUnwrap(MessageDeflater()).compress([0xC3, 0x28])
        var ws = try connection()
        _ = events(&ws, feeding: compressedFrame(compressed))
        XCTAssertEqual(ws.closeCodeSent, WebSocketCloseCode.invalidPayload)
    }
}
