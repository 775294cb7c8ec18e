import WebSocketWire
import XCTest

final class WebSocketFrameEncoderTests: XCTestCase {
    private func header(_ opcode: WebSocketOpcode, fin: Bool = true, length: Int) -> [UInt8] {
        var out: [UInt8] = []
        WebSocketFrameEncoder.writeHeader(opcode: opcode, fin: fin, payloadLength: length, into: &out)
        return out
    }

    func testHeaderUsesSevenBitLengthUpTo125() {
        XCTAssertEqual(header(.text, length: 0), [0x81, 0x00])
        XCTAssertEqual(header(.binary, length: 125), [0x82, 0x7D])
    }

    func testHeaderUsesSixteenBitLengthFrom126To65535() {
        XCTAssertEqual(header(.text, length: 126), [0x81, 0x7E, 0x00, 0x7E])
        XCTAssertEqual(header(.text, length: 65535), [0x81, 0x7E, 0xFF, 0xFF])
    }

    func testHeaderUsesSixtyFourBitLengthFrom65536() {
        XCTAssertEqual(header(.binary, length: 65536), [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    func testHeaderWithoutFinClearsTheFinBit() {
        XCTAssertEqual(header(.continuation, fin: false, length: 3), [0x00, 0x03])
    }

    func testHeaderAppendsToExistingBytes() {
        var out: [UInt8] = [0xAA]
        WebSocketFrameEncoder.writeHeader(opcode: .ping, fin: true, payloadLength: 1, into: &out)
        XCTAssertEqual(out, [0xAA, 0x89, 0x01])
    }

    func testUnmaskedFrameMatchesRFC6455Example() {
        XCTAssertEqual(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("Hello".utf8)), [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    func testMaskedFrameMatchesRFC6455Example() {
        XCTAssertEqual(
            WebSocketFrameEncoder.maskedFrame(opcode: .text, fin: true, payload: Array("Hello".utf8), maskKey: rfcMaskKey),
            [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        )
    }

    func testEveryPayloadByteIsMaskedWithTheKeyByteOfItsPositionWhateverTheLength() {
        let key: (UInt8, UInt8, UInt8, UInt8) = (0x12, 0x34, 0x56, 0x78)
        let keyBytes: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        for length in [0, 1, 7, 8, 9, 16, 23, 126, 300] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let frame = WebSocketFrameEncoder.maskedFrame(opcode: .binary, fin: true, payload: payload, maskKey: key)
            let masked = Array(frame.suffix(length))
            XCTAssertEqual(masked, payload.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }, "length \(length)")
            var appended: [UInt8] = [0xEE]
            payload.withUnsafeBytes { WebSocketFrameEncoder.appendMaskedFrame(opcode: .binary, fin: true, payload: $0, maskKey: key, to: &appended) }
            XCTAssertEqual(appended, [0xEE] + frame, "appended after what the buffer held, length \(length)")
        }
    }

    func testCloseFrameCarriesBigEndianCodeAndReason() {
        XCTAssertEqual(WebSocketFrameEncoder.closeFrame(code: 1001, reason: "bye"), [0x88, 0x05, 0x03, 0xE9, 0x62, 0x79, 0x65])
    }

    func testCloseReasonOf123BytesIsKept() {
        let frame = WebSocketFrameEncoder.closeFrame(code: 1000, reason: String(repeating: "r", count: 123))
        XCTAssertEqual(frame.count, 2 + 125)
        XCTAssertEqual(frame[1], 125)
    }

    func testLongCloseReasonIsTruncatedTo125BytePayload() {
        let frame = WebSocketFrameEncoder.closeFrame(code: 1000, reason: String(repeating: "r", count: 124))
        XCTAssertEqual(frame[1], 125)
        XCTAssertEqual(frame.count, 2 + 125)
    }

    func testCloseReasonIsTruncatedOnACharacterBoundary() throws {
        // "a" then 50 three-byte euro signs: byte 123 falls inside a character.
        let frame = WebSocketFrameEncoder.closeFrame(code: 1000, reason: "a" + String(repeating: "€", count: 50))
        let payload = try XCTUnwrap(decodeWrittenFrame(frame)).payload
        XCTAssertEqual(payload.count, 2 + 121)
        XCTAssertTrue(UTF8Validator.isValid(Array(payload[2...])))
    }
}
