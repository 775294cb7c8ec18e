import WebSocketWire
import XCTest

final class WebSocketConnectionTests: XCTestCase {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testRFCMaskedHelloIsOneTextMessage() {
        let events = eventsBothWays([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        XCTAssertEqual(events, [.data(bytes("Hello"), isText: true), .messageEnd])
    }

    func testSixteenBitLengthsAreParsed() {
        for length in [126, 65535] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
            var connection = WebSocketConnection()
            connection.feed(clientFrame(.binary, payload))
            XCTAssertEqual(drain(&connection), [.data(payload, isText: false), .messageEnd], "length \(length)")
        }
        // Byte by byte once, at the smallest 16-bit length.
        let payload = [UInt8](repeating: 7, count: 126)
        XCTAssertEqual(eventsBothWays(clientFrame(.binary, payload)), [.data(payload, isText: false), .messageEnd])
    }

    func testSixtyFourBitLengthIsParsed() {
        let payload = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = clientFrame(.binary, payload)
        XCTAssertEqual(Array(frame[1..<10]), [0xFF, 0, 0, 0, 0, 0, 1, 0, 0])
        XCTAssertEqual(eventsBothWays(frame), [.data(payload, isText: false), .messageEnd])
    }

    func testUnmaskingIsCorrectForEveryShortLength() {
        for length in 0...33 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
            var connection = WebSocketConnection()
            connection.feed(clientFrame(.binary, payload))
            let expected: [Event] = length == 0 ? [.messageEnd] : [.data(payload, isText: false), .messageEnd]
            XCTAssertEqual(drain(&connection), expected, "length \(length)")
        }
    }

    func testAPayloadHandedBackIsReusedAndOneKeptIsNeverOverwritten() {
        var connection = WebSocketConnection()
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        connection.feed(clientFrame(.text, "first") + clientFrame(.text, "second") + clientFrame(.text, "third"))
        guard case .data(let first, _)? = connection.nextEvent(reusing: &scratch) else { return XCTFail("no data") }
        XCTAssertEqual(first, bytes("first"))
        XCTAssertTrue(scratch.isEmpty, "the scratch array was taken")
        let firstStorage = first.withUnsafeBufferPointer { $0.baseAddress }
        scratch = consume first  // handed back
        XCTAssertEqual(connection.nextEvent(reusing: &scratch), .messageEnd)
        guard case .data(let second, _)? = connection.nextEvent(reusing: &scratch) else { return XCTFail("no data") }
        XCTAssertEqual(second.withUnsafeBufferPointer { $0.baseAddress }, firstStorage, "the handed-back buffer is reused")
        // Not handed back: the next payload goes elsewhere and the kept one stays as it was.
        XCTAssertEqual(connection.nextEvent(reusing: &scratch), .messageEnd)
        XCTAssertEqual(connection.nextEvent(reusing: &scratch), .data(bytes("third"), isText: true))
        XCTAssertEqual(second, bytes("second"))
    }

    func testEmptyDataFrameEmitsOnlyMessageEnd() {
        XCTAssertEqual(eventsBothWays(clientFrame(.text, "")), [.messageEnd])
    }

    func testSeveralFramesInOneReadAreEmittedInOrder() {
        let input = clientFrame(.text, "one") + clientFrame(.binary, [1, 2]) + clientFrame(.text, "three")
        XCTAssertEqual(eventsBothWays(input), [
            .data(bytes("one"), isText: true), .messageEnd,
            .data([1, 2], isText: false), .messageEnd,
            .data(bytes("three"), isText: true), .messageEnd,
        ])
    }

    func testFragmentedMessageWithInterleavedPingIsEmittedPerFrame() {
        let input = clientFrame(.text, "Hel", fin: false)
            + clientFrame(.ping, "p")
            + clientFrame(.continuation, "", fin: false)
            + clientFrame(.continuation, "lo")
        XCTAssertEqual(eventsBothWays(input), [
            .data(bytes("Hel"), isText: true),
            .write(WebSocketFrameEncoder.frame(opcode: .pong, payload: bytes("p"))),
            .data(bytes("lo"), isText: true),
            .messageEnd,
        ])
    }

    func testBinaryFragmentsStayBinary() {
        let input = clientFrame(.binary, [0xFF], fin: false) + clientFrame(.continuation, [0xFE])
        XCTAssertEqual(eventsBothWays(input), [.data([0xFF], isText: false), .data([0xFE], isText: false), .messageEnd])
    }

    func testPingIsAnsweredWithPongCarryingTheSamePayload() {
        let payload = [UInt8](repeating: 0xAB, count: 125)
        XCTAssertEqual(eventsBothWays(clientFrame(.ping, payload)), [.write(WebSocketFrameEncoder.frame(opcode: .pong, payload: payload))])
    }

    func testPongIsIgnored() {
        XCTAssertEqual(eventsBothWays(clientFrame(.pong, "unsolicited") + clientFrame(.text, "x")), [.data(bytes("x"), isText: true), .messageEnd])
    }

    func testIncompleteFrameYieldsNothingUntilComplete() {
        let frame = clientFrame(.text, "partial")
        var connection = WebSocketConnection()
        connection.feed(Array(frame.dropLast()))
        XCTAssertNil(connection.nextEvent())
        connection.feed([frame.last!])
        XCTAssertEqual(drain(&connection), [.data(bytes("partial"), isText: true), .messageEnd])
    }

    func testUnsafeRawBufferFeedMatchesArrayFeed() {
        var connection = WebSocketConnection()
        clientFrame(.text, "raw").withUnsafeBytes { connection.feed($0) }
        XCTAssertEqual(drain(&connection), [.data(bytes("raw"), isText: true), .messageEnd])
    }

    func testManyFramesFedInPiecesAreAllDelivered() {
        // Crosses the buffer compaction threshold with a frame split across feeds.
        var connection = WebSocketConnection()
        var input: [UInt8] = []
        for index in 0..<3000 { input += clientFrame(.binary, [UInt8](repeating: UInt8(index & 0xFF), count: 40)) }
        var delivered = 0, messages = 0
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + 1000)
            connection.feed(Array(input[offset..<end]))
            offset = end
            for event in drain(&connection) {
                switch event {
                case .data(let payload, _): delivered += payload.count
                case .messageEnd: messages += 1
                default: XCTFail("unexpected \(event)")
                }
            }
        }
        XCTAssertEqual(delivered, 3000 * 40)
        XCTAssertEqual(messages, 3000)
    }

    // MARK: - Client role

    func testClientRoleParsesUnmaskedServerFrames() {
        let input: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]  // RFC 6455 §5.7 fragments
        XCTAssertEqual(eventsBothWays(input, role: .client), [.data(bytes("Hel"), isText: true), .data(bytes("lo"), isText: true), .messageEnd])
    }

    func testClientRoleRejectsMaskedServerFramesWith1002() {
        assertFails(clientFrame(.text, "masked"), with: WebSocketCloseCode.protocolError, role: .client)
    }

    func testClientRoleMasksItsPong() throws {
        var connection = WebSocketConnection(role: .client)
        connection.feed(WebSocketFrameEncoder.frame(opcode: .ping, payload: bytes("hi")))
        guard case .write(let pong) = connection.nextEvent() else { return XCTFail("no pong") }
        let frame = try XCTUnwrap(decodeWrittenFrame(pong))
        XCTAssertTrue(frame.masked)
        XCTAssertEqual(frame.opcode, WebSocketOpcode.pong.rawValue)
        XCTAssertEqual(frame.payload, bytes("hi"))
    }

    func testClientRoleMasksItsClose() throws {
        var connection = WebSocketConnection(role: .client)
        let close = try XCTUnwrap(connection.close(code: WebSocketCloseCode.normal, reason: "done"))
        let frame = try XCTUnwrap(decodeWrittenFrame(close))
        XCTAssertTrue(frame.masked)
        XCTAssertEqual(frame.payload, [0x03, 0xE8] + bytes("done"))
    }

    func testDefaultLimitsAllowFourMiBPlusHeaderRoom() {
        XCTAssertEqual(WebSocketLimits(), WebSocketLimits(maxMessageBytes: 4_259_840, maxFrameBytes: 4_259_840))
    }
}
