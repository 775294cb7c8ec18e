import WebSocketWire
import XCTest

final class WebSocketCloseTests: XCTestCase {
    private func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }

    func testPeerCloseIsEchoedWithItsCodeThenTheSocketCloses() {
        var connection = WebSocketConnection()
        connection.feed(clientFrame(.close, closePayload(1000, Array("bye".utf8))))
        XCTAssertEqual(drain(&connection), [closeWrite(1000), .closeSocket])
        XCTAssertEqual(connection.state, .closed)
        XCTAssertEqual(connection.closeCodeReceived, 1000)
        XCTAssertEqual(connection.closeCodeSent, 1000)
    }

    func testEveryValidCloseCodeIsEchoed() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] {
            XCTAssertEqual(eventsBothWays(clientFrame(.close, closePayload(code))), [closeWrite(code), .closeSocket], "code \(code)")
        }
    }

    func testInvalidCloseCodesCloseWith1002() {
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            assertFails(clientFrame(.close, closePayload(code)), with: WebSocketCloseCode.protocolError)
        }
    }

    func testCloseWithoutCodeIsEchoedEmpty() {
        var connection = WebSocketConnection()
        connection.feed(clientFrame(.close, []))
        XCTAssertEqual(drain(&connection), [.write([0x88, 0x00]), .closeSocket])
        XCTAssertEqual(connection.closeCodeReceived, 1005)
        XCTAssertNil(connection.closeCodeSent)
    }

    func testOneBytePayloadClosesWith1002() {
        assertFails(clientFrame(.close, [0x03]), with: WebSocketCloseCode.protocolError)
    }

    func testInvalidUTF8ReasonClosesWith1007() {
        assertFails(clientFrame(.close, closePayload(1000, [0xC0, 0x80])), with: WebSocketCloseCode.invalidPayload)
    }

    func testFramesAfterThePeerCloseAreIgnored() {
        let input = clientFrame(.close, closePayload(1001)) + clientFrame(.text, "late") + clientFrame(.ping, "late")
        XCTAssertEqual(eventsBothWays(input), [closeWrite(1001), .closeSocket])
    }

    func testServerInitiatedCloseWaitsForThePeerThenClosesTheSocket() {
        var connection = WebSocketConnection()
        XCTAssertEqual(connection.close(code: WebSocketCloseCode.goingAway, reason: "shutdown"),
                       WebSocketFrameEncoder.closeFrame(code: 1001, reason: "shutdown"))
        XCTAssertEqual(connection.state, .closing)
        XCTAssertEqual(connection.closeCodeSent, 1001)
        XCTAssertNil(connection.close(code: 1000, reason: "again"))

        // Data and pings after our close are dropped; the peer's close ends it without a second close frame.
        connection.feed(clientFrame(.text, "ignored") + clientFrame(.ping, "p"))
        XCTAssertEqual(drain(&connection), [])
        connection.feed(clientFrame(.close, closePayload(1001)))
        XCTAssertEqual(drain(&connection), [.closeSocket])
        XCTAssertEqual(connection.state, .closed)
        XCTAssertEqual(connection.closeCodeReceived, 1001)
        XCTAssertEqual(connection.closeCodeSent, 1001)
        XCTAssertNil(connection.close(code: 1000, reason: ""))
    }

    func testProtocolErrorWhileClosingOnlyClosesTheSocket() {
        var connection = WebSocketConnection()
        _ = connection.close(code: WebSocketCloseCode.policyViolation, reason: "STOMP error")
        connection.feed(rawClientFrame(firstByte: 0x83))
        XCTAssertEqual(drain(&connection), [.closeSocket])
        XCTAssertEqual(connection.closeCodeSent, WebSocketCloseCode.policyViolation)
    }

    func testFragmentsInterruptedByCloseStillEchoTheClose() {
        let input = clientFrame(.text, "part", fin: false) + clientFrame(.close, closePayload(1000))
        XCTAssertEqual(eventsBothWays(input), [.data(Array("part".utf8), isText: true), closeWrite(1000), .closeSocket])
    }

    func testCloseCodesWeSendAreTheRegisteredValues() {
        XCTAssertEqual(
            [WebSocketCloseCode.normal, WebSocketCloseCode.goingAway, WebSocketCloseCode.protocolError, WebSocketCloseCode.unsupportedData,
             WebSocketCloseCode.invalidPayload, WebSocketCloseCode.policyViolation, WebSocketCloseCode.messageTooBig,
             WebSocketCloseCode.internalError, WebSocketCloseCode.tryAgainLater],
            [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1013]
        )
    }
}
