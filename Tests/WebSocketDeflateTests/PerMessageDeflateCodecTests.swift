import WebSocketDeflate
import WebSocketWire
import XCTest

/// Expected bytes come from RFC 7692 §7.2.3 and from Python's zlib
/// (`compressobj(-1, DEFLATED, -15, 8)`, `flush(Z_SYNC_FLUSH)`, last 4 bytes dropped), which uses
/// the same system zlib: the output must be identical byte for byte.
final class PerMessageDeflateCodecTests: XCTestCase {
    private let helloCompressed: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]

    func testCompressingHelloGivesTheRFC7692Bytes() throws {
        let deflater = try XCTUnwrap(MessageDeflater())
        XCTAssertEqual(deflater.compress(Array("Hello".utf8)), helloCompressed)
        // Every message starts from an empty window: the same bytes again, not a back-reference.
        XCTAssertEqual(deflater.compress(Array("Hello".utf8)), helloCompressed)
    }

    func testCompressingAStompMessageMatchesPythonZlib() throws {
        let message = Array("MESSAGE\ndestination:/topic/a\n\n".utf8) + Array(String(repeating: "hello ", count: 4 * 20).utf8.prefix(480)) + [0]
        let deflater = try XCTUnwrap(MessageDeflater())
        let expected: [UInt8] = [242, 117, 13, 14, 118, 116, 119, 229, 74, 73, 45, 46, 201, 204, 75, 44, 201, 204, 207, 179, 210, 47,
                                 201, 47, 200, 76, 214, 79, 228, 226, 202, 72, 205, 201, 201, 87, 24, 37, 135, 43, 201, 0, 0]
        XCTAssertEqual(deflater.compress(message), expected)
    }

    func testInflatingTheRFCExampleInOneAndInTwoFrames() throws {
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        XCTAssertEqual(inflater.inflate(helloCompressed, endOfMessage: true, limit: 100), .inflated(Array("Hello".utf8)))
        // §7.2.3.1 fragmented: the message split across two frames.
        let second = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: true))
        guard case .inflated(let first) = second.inflate([0xF2, 0x48, 0xCD], endOfMessage: false, limit: 100),
              case .inflated(let rest) = second.inflate([0xC9, 0xC9, 0x07, 0x00], endOfMessage: true, limit: 100) else {
            return XCTFail("not inflated")
        }
        XCTAssertEqual(first + rest, Array("Hello".utf8))
    }

    func testContextTakeoverBackReferenceInflatesAcrossMessages() throws {
        // §7.2.3.2: the second "Hello" refers back into the first message's window.
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        XCTAssertEqual(inflater.inflate(helloCompressed, endOfMessage: true, limit: 100), .inflated(Array("Hello".utf8)))
        XCTAssertEqual(inflater.inflate([0xF2, 0x00, 0x11, 0x00, 0x00], endOfMessage: true, limit: 100), .inflated(Array("Hello".utf8)))
    }

    func testNoContextTakeoverResetsTheWindowBetweenMessages() throws {
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: true))
        XCTAssertEqual(inflater.inflate(helloCompressed, endOfMessage: true, limit: 100), .inflated(Array("Hello".utf8)))
        XCTAssertEqual(inflater.inflate([0xF2, 0x00, 0x11, 0x00, 0x00], endOfMessage: true, limit: 100), .invalid)
    }

    func testStoredBlockStoredHeadFollowedBySharedCompressedTailInflatesToBoth() throws {
        let deflater = try XCTUnwrap(MessageDeflater())
        let tail = deflater.compress(Array(String(repeating: "shared tail ", count: 50).utf8))
        for head in ["MESSAGE\nsubscription:1\n", "MESSAGE\nsubscription:sub-22\nmessage-id:9\n"] {
            var payload: [UInt8] = []
            PerMessageDeflate.writeStoredBlockHeader(length: head.utf8.count, into: &payload)
            payload += Array(head.utf8) + tail
            // A client keeping its window across messages inflates it too.
            let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
            XCTAssertEqual(inflater.inflate(payload, endOfMessage: true, limit: 10_000),
                           .inflated(Array(head.utf8) + Array(String(repeating: "shared tail ", count: 50).utf8)))
            XCTAssertEqual(inflater.inflate(payload, endOfMessage: true, limit: 10_000),
                           .inflated(Array(head.utf8) + Array(String(repeating: "shared tail ", count: 50).utf8)))
        }
    }

    func testZlibBombStopsAtTheLimit() throws {
        let deflater = try XCTUnwrap(MessageDeflater(level: 9))
        let bomb = deflater.compress([UInt8](repeating: 0, count: 8 * 1024 * 1024))
        XCTAssertLessThan(bomb.count, 10_000)
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        XCTAssertEqual(inflater.inflate(bomb, endOfMessage: true, limit: 64 * 1024), .tooBig)
    }

    func testGarbageIsInvalid() throws {
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        XCTAssertEqual(inflater.inflate([0xFF, 0xFF, 0xFF, 0xFF], endOfMessage: true, limit: 100), .invalid)
    }

    func testLargeMessageRoundTrips() throws {
        var random = SystemRandomNumberGenerator()
        let text = (0..<200_000).map { _ in UInt8.random(in: 0x61...0x66, using: &random) }
        let deflater = try XCTUnwrap(MessageDeflater())
        let inflater = try XCTUnwrap(ZlibInflater(windowBits: 15, resetPerMessage: false))
        XCTAssertEqual(inflater.inflate(deflater.compress(text), endOfMessage: true, limit: 1_000_000), .inflated(text))
    }
}
