import ClusterBus
import STOMPWire
import XCTest

final class EnvelopeTests: XCTestCase {
    private let sample = Envelope(
        sourceNode: "node-1", messageID: "m-42", destination: "/topic/chat.room1",
        headers: [STOMPHeader(name: "content-type", value: "text/plain"), STOMPHeader(name: "x", value: "a:b\nc")],
        body: [0, 1, 2, 0xFF], redelivered: true)

    func testRoundTripKeepsEveryField() throws {
        XCTAssertEqual(try Envelope.decode(sample.encode(), maxBytes: 1 << 20), sample)
    }

    func testEmptyHeadersAndBodyRoundTrip() throws {
        let bare = Envelope(sourceNode: "", messageID: "", destination: "/queue/q", headers: [], body: [])
        XCTAssertEqual(try Envelope.decode(bare.encode(), maxBytes: 64), bare)
    }

    func testOversizedEnvelopeIsRejected() {
        let bytes = sample.encode()
        XCTAssertNoThrow(try Envelope.decode(bytes, maxBytes: bytes.count))
        XCTAssertThrowsError(try Envelope.decode(bytes, maxBytes: bytes.count - 1)) {
            XCTAssertEqual($0 as? EnvelopeError, .tooLarge(bytes.count))
        }
    }

    func testEveryTruncationIsMalformed() {
        let bytes = sample.encode()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try Envelope.decode(Array(bytes[..<length]), maxBytes: 1 << 20), "length \(length)")
        }
    }

    func testTrailingBytesAndBadMagicAndVersionAreRejected() {
        XCTAssertThrowsError(try Envelope.decode(sample.encode() + [0], maxBytes: 1 << 20))
        var magic = sample.encode()
        magic[0] = 0x00
        XCTAssertThrowsError(try Envelope.decode(magic, maxBytes: 1 << 20))
        var version = sample.encode()
        version[2] = 9
        XCTAssertThrowsError(try Envelope.decode(version, maxBytes: 1 << 20)) {
            XCTAssertEqual($0 as? EnvelopeError, .unsupportedVersion(9))
        }
    }
}
