import STOMPWire
import XCTest

final class EncoderTests: XCTestCase {
    func testSendFrameGetsContentLengthForItsBody() {
        let frame = STOMPFrame(.SEND, headers: [("destination", "/q")], body: bytes("hi"))
        XCTAssertEqual(STOMPEncoder.encode(frame, version: .v1_2), bytes("SEND\ndestination:/q\ncontent-length:2\n\nhi\0"))
    }

    func testEmptyBodyGetsNoContentLength() {
        let frame = STOMPFrame(.RECEIPT, headers: [("receipt-id", "7")])
        XCTAssertEqual(STOMPEncoder.encode(frame, version: .v1_2), bytes("RECEIPT\nreceipt-id:7\n\n\0"))
    }

    func testExistingContentLengthIsNotDuplicated() {
        let frame = STOMPFrame(.SEND, headers: [("content-length", "2")], body: bytes("hi"))
        XCTAssertEqual(STOMPEncoder.encode(frame, version: .v1_1), bytes("SEND\ncontent-length:2\n\nhi\0"))
    }

    func testHandshakeFramesGetNoContentLength() {
        let frame = STOMPFrame(.CONNECTED, headers: [("version", "1.2")], body: bytes("x"))
        XCTAssertEqual(STOMPEncoder.encode(frame, version: .v1_2), bytes("CONNECTED\nversion:1.2\n\nx\0"))
    }

    func testContentLengthDigitsAreExact() {
        for count in [1, 9, 10, 99, 100, 1000, 65_536] {
            let frame = STOMPFrame(.SEND, body: [UInt8](repeating: 0x61, count: count))
            let encoded = STOMPEncoder.encode(frame, version: .v1_2)
            XCTAssertEqual(Array(encoded.prefix(5 + 15 + String(count).count + 1)), bytes("SEND\ncontent-length:\(count)\n"))
        }
    }

    func testEncodeIntoAppendsToExistingBytes() {
        var out = bytes("\n")
        STOMPEncoder.encode(STOMPFrame(.DISCONNECT), version: .v1_2, into: &out)
        XCTAssertEqual(out, bytes("\nDISCONNECT\n\n\0"))
    }

    func testBodyWithNULsRoundTripsInEveryVersion() {
        for version in STOMPVersion.allCases {
            let frame = STOMPFrame(.SEND, headers: [("destination", "/q")], body: [0, 0x41, 0, 0])
            let outcome = decode(STOMPEncoder.encode(frame, version: version), version: version, feeding: .byteByByte)
            var expected = frame
            expected.setHeader("content-length", "4")
            XCTAssertEqual(outcome.events, [.frame(expected)], "\(version)")
        }
    }

    func testEncodedFramesOfEveryCommandDecodeBack() {
        for command in STOMPCommand.allCases {
            let isHandshake = [STOMPCommand.CONNECT, .STOMP, .CONNECTED].contains(command)
            let frame = STOMPFrame(command, headers: [("a", "1"), ("a", "2")], body: isHandshake ? [] : bytes("b"))
            var expected = frame
            if !frame.body.isEmpty { expected.setHeader("content-length", "1") }
            assertDecodes(STOMPEncoder.encode(frame, version: .v1_2), to: [.frame(expected)])
        }
    }

    // MARK: - Shared MESSAGE encoding

    private let shared = [
        STOMPHeader(name: "destination", value: "/topic/a:b"),
        STOMPHeader(name: "content-type", value: "text/plain"),
        STOMPHeader(name: "x-line", value: "one\ntwo\\three\rfour"),
    ]

    private func fullMessage(ack: String?, body: [UInt8], headers: [STOMPHeader]? = nil) -> STOMPFrame {
        var perSubscriber = [STOMPHeader(name: "message-id", value: "m\\42"), STOMPHeader(name: "subscription", value: "sub:1")]
        if let ack { perSubscriber.append(STOMPHeader(name: "ack", value: ack)) }
        return STOMPFrame(command: .MESSAGE, headers: perSubscriber + (headers ?? shared), body: body)
    }

    private func headAndTail(ack: String?, body: [UInt8], version: STOMPVersion, headers: [STOMPHeader]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        STOMPEncoder.encodeMessageHeadStart(messageID: "m\\42", messageNumber: nil, version: version, into: &out)
        STOMPEncoder.encodeMessageHeadRest(subscription: "sub:1", ack: ack, version: version, into: &out)
        return out + STOMPEncoder.encodeMessageTail(headers: STOMPHeaders(headers ?? shared), body: body, version: version)
    }

    func testMessageHeadPlusTailEqualsFullEncodingInEveryVersion() {
        for version in STOMPVersion.allCases {
            for ack in [nil, "ack:9"] as [String?] {
                for body in [[], bytes("payload"), [0, 1, 0]] as [[UInt8]] {
                    let full = STOMPEncoder.encode(fullMessage(ack: ack, body: body), version: version)
                    XCTAssertEqual(headAndTail(ack: ack, body: body, version: version), full, "\(version) ack \(ack ?? "nil") body \(body)")
                }
            }
        }
    }

    func testMessageHeadPlusTailDecodesBackToTheFullFrame() {
        for version in [STOMPVersion.v1_1, .v1_2] {
            let body: [UInt8] = [0x68, 0, 0x69]
            let outcome = decode(headAndTail(ack: "a1", body: body, version: version), version: version)
            var expected = fullMessage(ack: "a1", body: body)
            expected.setHeader("content-length", "3")
            XCTAssertNil(outcome.error, "\(version)")
            XCTAssertEqual(outcome.events, [.frame(expected)], "\(version)")
        }
    }

    func testMessageTailWithADestinationEqualsTheTailOfThatHeaderFollowedByTheOthers() {
        let others = Array(shared.dropFirst()) + [STOMPHeader(name: "content-length", value: "2")]
        for version in STOMPVersion.allCases {
            for (headers, body) in [(Array(shared.dropFirst()), bytes("payload")), (others, bytes("hi")), ([], [])] as [([STOMPHeader], [UInt8])] {
                XCTAssertEqual(
                    STOMPEncoder.encodeMessageTail(destination: "/topic/a:b", headers: STOMPHeaders(headers), body: body, version: version),
                    STOMPEncoder.encodeMessageTail(headers: STOMPHeaders([STOMPHeader(name: "destination", value: "/topic/a:b")] + headers), body: body, version: version),
                    "\(version) \(headers.count) headers"
                )
            }
        }
    }

    func testMessageTailKeepsAnExistingContentLength() {
        let headers = [STOMPHeader(name: "destination", value: "/q"), STOMPHeader(name: "content-length", value: "2")]
        XCTAssertEqual(
            STOMPEncoder.encodeMessageTail(headers: STOMPHeaders(headers), body: bytes("hi"), version: .v1_2),
            bytes("destination:/q\ncontent-length:2\n\nhi\0")
        )
        XCTAssertEqual(
            headAndTail(ack: nil, body: bytes("hi"), version: .v1_2, headers: headers),
            STOMPEncoder.encode(fullMessage(ack: nil, body: bytes("hi"), headers: headers), version: .v1_2)
        )
    }

    func testMessageHeadBytes() {
        var out: [UInt8] = []
        STOMPEncoder.encodeMessageHeadStart(messageID: "m", messageNumber: nil, version: .v1_2, into: &out)
        STOMPEncoder.encodeMessageHeadRest(subscription: "s", ack: "a", version: .v1_2, into: &out)
        XCTAssertEqual(out, bytes("MESSAGE\nmessage-id:m\nsubscription:s\nack:a\n"))
    }

    func testMessageHeadStartWritesTheMessageNumberAfterTheEscapedPrefix() {
        for (number, digits) in [(0, "0"), (7, "7"), (10, "10"), (1_234_567_890_123, "1234567890123")] as [(UInt64, String)] {
            var out: [UInt8] = []
            STOMPEncoder.encodeMessageHeadStart(messageID: "node:a-", messageNumber: number, version: .v1_2, into: &out)
            XCTAssertEqual(out, bytes("MESSAGE\nmessage-id:node\\ca-\(digits)\n"))
        }
    }
}
