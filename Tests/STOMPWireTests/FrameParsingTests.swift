import STOMPWire
import XCTest

final class FrameParsingTests: XCTestCase {
    func testEveryCommandParsesWithHeadersAndBody() {
        for command in STOMPCommand.allCases {
            assertDecodes(
                bytes("\(command.rawValue)\nkey:value\n\nhello\0"),
                to: [frameEvent(command, [("key", "value")], body: "hello")]
            )
        }
    }

    func testFrameWithoutHeadersOrBodyParses() {
        assertDecodes(bytes("DISCONNECT\n\n\0"), to: [frameEvent(.DISCONNECT)])
    }

    func testUnknownCommandIsRejectedWithItsName() {
        let error = assertDecodeFails(bytes("FOO\n\n\0"), with: .unknownCommand)
        XCTAssertEqual(error?.message, "unknown command 'FOO'")
    }

    func testLowercaseCommandIsUnknown() {
        assertDecodeFails(bytes("send\n\n\0"), with: .unknownCommand)
    }

    /// SEND and MESSAGE are matched by word before the table: names one byte off either are not.
    func testNamesOneByteOffSendOrMessageAreUnknown() {
        for name in ["SENT", "SENDS", "SEN", "MESSAGF", "NESSAGE", "MESSAG", "MESSAGES", "MESXAGE"] {
            assertDecodeFails(bytes("\(name)\n\n\0"), with: .unknownCommand)
        }
    }

    func testUnknownCommandMessageShowsControlBytesEscaped() {
        let error = assertDecodeFails(bytes("SE\u{1}ND\n\n\0"), with: .unknownCommand)
        XCTAssertEqual(error?.message, "unknown command 'SE\\x01ND'")
    }

    func testHeaderValueIsEverythingAfterTheFirstColon() {
        assertDecodes(
            bytes("CONNECT\nlogin:a:b::c\n\n\0"),
            to: [frameEvent(.CONNECT, [("login", "a:b::c")])]
        )
    }

    func testEmptyHeaderValueIsKept() {
        assertDecodes(bytes("SEND\nempty:\n\n\0"), to: [frameEvent(.SEND, [("empty", "")])])
    }

    func testHeaderLineWithoutColonIsMalformed() {
        assertDecodeFails(bytes("SEND\nreceipt:7\nnocolon\n\n\0"), with: .malformedHeader, receipt: "7")
    }

    func testHeaderLineWithEmptyNameIsMalformed() {
        assertDecodeFails(bytes("SEND\n:value\n\n\0"), with: .malformedHeader)
    }

    func testRepeatedHeadersAreKeptInOrderAndTheFirstWins() {
        let outcome = decode(bytes("MESSAGE\nfoo:first\nbar:x\nfoo:second\n\n\0"), version: .v1_1)
        guard case .frame(let frame)? = outcome.events.first else { return XCTFail("no frame") }
        XCTAssertEqual(frame.headers.map(\.name), ["foo", "bar", "foo"])
        XCTAssertEqual(frame["foo"], "first")
        XCTAssertEqual(frame.values(named: "foo"), ["first", "second"])
        XCTAssertNil(frame["missing"])
    }

    func testSeveralFramesInOneBufferAllDecode() {
        assertDecodes(
            bytes("SEND\ndestination:/a\n\none\0SEND\ndestination:/b\n\ntwo\0DISCONNECT\nreceipt:9\n\n\0"),
            to: [
                frameEvent(.SEND, [("destination", "/a")], body: "one"),
                frameEvent(.SEND, [("destination", "/b")], body: "two"),
                frameEvent(.DISCONNECT, [("receipt", "9")]),
            ]
        )
    }

    func testFrameSplitAtEveryPositionDecodesTheSame() {
        let stream = bytes("SEND\r\ndestination:/q\r\ncontent-length:3\r\n\r\na\0b\0\r\nACK\nid:1\n\n\0")
        let expected = decode(stream).events
        XCTAssertEqual(expected.count, 3)
        for index in 0...stream.count {
            let outcome = decode(stream, feeding: .splitAt(index))
            XCTAssertNil(outcome.error, "split at \(index)")
            XCTAssertEqual(outcome.events, expected, "split at \(index)")
        }
    }

    func testHeartBeatsBetweenFramesAreReportedOnePerEOL() {
        assertDecodes(
            bytes("\n\r\nSEND\n\nx\0\n\n\r\nACK\nid:1\n\n\0\n"),
            to: [
                .heartbeat, .heartbeat,
                frameEvent(.SEND, body: "x"),
                .heartbeat, .heartbeat, .heartbeat,
                frameEvent(.ACK, [("id", "1")]),
                .heartbeat,
            ]
        )
    }

    func testLoneCRBetweenFramesWaitsForMoreBytes() {
        var decoder = STOMPDecoder()
        decoder.feed(bytes("\r"))
        XCTAssertNil(try decoder.next())
        decoder.feed(bytes("\n"))
        XCTAssertEqual(try decoder.next(), .heartbeat)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testIncompleteFrameReturnsNilAndKeepsBytes() throws {
        var decoder = STOMPDecoder()
        decoder.feed(bytes("SEND\ndestination:/q\n\nbo"))
        XCTAssertNil(try decoder.next())
        XCTAssertNil(try decoder.next())
        decoder.feed(bytes("dy\0"))
        XCTAssertEqual(try decoder.next(), frameEvent(.SEND, [("destination", "/q")], body: "body"))
        XCTAssertNil(try decoder.next())
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }

    func testFeedingRawBufferPointerMatchesFeedingArray() throws {
        var decoder = STOMPDecoder()
        bytes("SEND\n\nraw\0").withUnsafeBytes { decoder.feed($0) }
        XCTAssertEqual(try decoder.next(), frameEvent(.SEND, body: "raw"))
    }

    func testDecoderStaysDeadAfterAnError() {
        var decoder = STOMPDecoder()
        decoder.feed(bytes("BAD\n\n\0"))
        XCTAssertThrowsError(try decoder.next())
        decoder.feed(bytes("SEND\n\n\0"))
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertEqual((error as? STOMPWireError)?.kind, .unknownCommand)
        }
    }

    func testFramesDecodedBeforeAnErrorAreDelivered() {
        assertDecodeFails(
            bytes("SEND\n\nok\0NOPE\n\n\0"),
            with: .unknownCommand,
            eventsBefore: [frameEvent(.SEND, body: "ok")]
        )
    }

    func testInvalidUTF8InHeaderIsRepairedNotFatal() {
        let stream: [UInt8] = bytes("SEND\nk:") + [0xFF] + bytes("\n\n\0")
        assertDecodes(stream, to: [frameEvent(.SEND, [("k", "\u{FFFD}")])])
    }
}
