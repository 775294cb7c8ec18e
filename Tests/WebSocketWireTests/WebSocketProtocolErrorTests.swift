import WebSocketWire
import XCTest

final class WebSocketProtocolErrorTests: XCTestCase {
    private let protocolError = WebSocketCloseCode.protocolError
    private let invalidPayload = WebSocketCloseCode.invalidPayload
    private let messageTooBig = WebSocketCloseCode.messageTooBig

    // MARK: 1002

    func testUnmaskedClientFrameClosesWith1002() {
        assertFails(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("hi".utf8)), with: protocolError)
    }

    func testEachReservedBitClosesWith1002() {
        for bit: UInt8 in [0x40, 0x20, 0x10] {
            assertFails(rawClientFrame(firstByte: 0x80 | bit | 0x01, payload: [0x41]), with: protocolError)
        }
    }

    func testUnknownOpcodesCloseWith1002() {
        for opcode: UInt8 in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
            assertFails(rawClientFrame(firstByte: 0x80 | opcode), with: protocolError)
        }
    }

    func testControlFrameOf125BytesIsAcceptedAnd126ClosesWith1002() {
        XCTAssertEqual(eventsBothWays(clientFrame(.ping, [UInt8](repeating: 1, count: 125))).count, 1)
        assertFails(clientFrame(.ping, [UInt8](repeating: 1, count: 126)), with: protocolError)
        assertFails(clientFrame(.close, [0x03, 0xE8] + [UInt8](repeating: 0x61, count: 124)), with: protocolError)
    }

    func testFragmentedControlFramesCloseWith1002() {
        assertFails(clientFrame(.ping, [1], fin: false), with: protocolError)
        assertFails(clientFrame(.close, [0x03, 0xE8], fin: false), with: protocolError)
        assertFails(clientFrame(.pong, [], fin: false), with: protocolError)
    }

    func testContinuationWithoutAMessageClosesWith1002() {
        assertFails(clientFrame(.continuation, "orphan"), with: protocolError)
        // Also after a message has finished.
        assertFails(clientFrame(.text, "done") + clientFrame(.continuation, "late"), with: protocolError)
    }

    func testNewDataFrameInsideAFragmentedMessageClosesWith1002() {
        assertFails(clientFrame(.text, "a", fin: false) + clientFrame(.text, "b"), with: protocolError)
        assertFails(clientFrame(.binary, [1], fin: false) + clientFrame(.binary, [2]), with: protocolError)
    }

    func testSixtyFourBitLengthWithHighBitSetClosesWith1002() {
        let header: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]
        assertFails(header + [1, 2, 3, 4], with: protocolError)
    }

    func testDataBeforeTheErrorIsStillDelivered() {
        let events = eventsBothWays(clientFrame(.text, "ok") + rawClientFrame(firstByte: 0x83))
        XCTAssertEqual(Array(events.prefix(2)), [.data(Array("ok".utf8), isText: true), .messageEnd])
        XCTAssertEqual(events.count, 4)
    }

    func testCloseCodeSentRecordsTheError() {
        var connection = WebSocketConnection()
        connection.feed(rawClientFrame(firstByte: 0xC1))
        _ = drain(&connection)
        XCTAssertEqual(connection.closeCodeSent, protocolError)
        XCTAssertNil(connection.closeCodeReceived)
        XCTAssertEqual(connection.state, .closed)
    }

    // MARK: 1009

    func testFrameAtMaxFrameBytesIsAcceptedAndOneMoreClosesWith1009() {
        let limits = WebSocketLimits(maxMessageBytes: 1000, maxFrameBytes: 200)
        XCTAssertEqual(eventsBothWays(clientFrame(.binary, [UInt8](repeating: 0, count: 200)), limits: limits).last, .messageEnd)
        assertFails(clientFrame(.binary, [UInt8](repeating: 0, count: 201)), with: messageTooBig, limits: limits)
    }

    func testOversizedFrameIsRejectedFromItsHeaderAlone() {
        let limits = WebSocketLimits(maxMessageBytes: 1000, maxFrameBytes: 200)
        // Only the 4-byte header (no mask key, no payload) has arrived.
        assertFails([0x82, 0xFE, 0x00, 0xC9], with: messageTooBig, limits: limits)
        // A 64-bit length far beyond any limit is refused without waiting for 2^40 bytes.
        assertFails([0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0], with: messageTooBig)
    }

    func testMessageAtMaxMessageBytesIsAcceptedAndOneMoreClosesWith1009() {
        let limits = WebSocketLimits(maxMessageBytes: 300, maxFrameBytes: 200)
        let atLimit = clientFrame(.binary, [UInt8](repeating: 1, count: 200), fin: false)
            + clientFrame(.continuation, [UInt8](repeating: 2, count: 100))
        XCTAssertEqual(eventsBothWays(atLimit, limits: limits).last, .messageEnd)
        let overLimit = clientFrame(.binary, [UInt8](repeating: 1, count: 200), fin: false)
            + clientFrame(.continuation, [UInt8](repeating: 2, count: 101))
        assertFails(overLimit, with: messageTooBig, limits: limits)
    }

    func testMessageSizeCountsAllFragmentsButResetsPerMessage() {
        let limits = WebSocketLimits(maxMessageBytes: 100, maxFrameBytes: 100)
        var input: [UInt8] = []
        for _ in 0..<5 {
            input += clientFrame(.binary, [UInt8](repeating: 1, count: 50), fin: false) + clientFrame(.continuation, [UInt8](repeating: 1, count: 50))
        }
        XCTAssertEqual(eventsBothWays(input, limits: limits).filter { $0 == .messageEnd }.count, 5)
    }

    // MARK: 1007

    func testInvalidUTF8InATextFrameClosesWith1007() {
        assertFails(clientFrame(.text, [0x61, 0xC0, 0x80]), with: invalidPayload)
        assertFails(clientFrame(.text, [0xED, 0xA0, 0x80]), with: invalidPayload)
        assertFails(clientFrame(.text, [0xF4, 0x90, 0x80, 0x80]), with: invalidPayload)
    }

    func testTextEndingInsideACharacterClosesWith1007() {
        assertFails(clientFrame(.text, [0x61, 0xE2, 0x82]), with: invalidPayload)
        assertFails(clientFrame(.text, [0xE2], fin: false) + clientFrame(.continuation, [0x82]), with: invalidPayload)
    }

    func testCharacterSplitAcrossFragmentsIsValid() {
        let events = eventsBothWays(clientFrame(.text, [0x61, 0xE2], fin: false) + clientFrame(.continuation, [0x82, 0xAC]))
        XCTAssertEqual(events, [.data([0x61, 0xE2], isText: true), .data([0x82, 0xAC], isText: true), .messageEnd])
    }

    func testInvalidSequenceSplitAcrossFragmentsClosesWith1007() {
        assertFails(clientFrame(.text, [0xED], fin: false) + clientFrame(.continuation, [0xA0, 0x80]), with: invalidPayload)
    }

    func testEachTextMessageStartsAtABoundary() {
        // A valid message after a valid one: the validator does not carry state between messages.
        let events = eventsBothWays(clientFrame(.text, "é") + clientFrame(.text, "ü"))
        XCTAssertEqual(events.filter { $0 == .messageEnd }.count, 2)
    }

    func testBinaryMessagesAreNotValidatedAsUTF8() {
        XCTAssertEqual(eventsBothWays(clientFrame(.binary, [0xC0, 0x80])), [.data([0xC0, 0x80], isText: false), .messageEnd])
    }
}
