import STOMPWire
import XCTest

final class BodyTests: XCTestCase {
    func testContentLengthBodyMayContainNULs() {
        let stream: [UInt8] = bytes("SEND\ncontent-length:5\n\n") + [0, 1, 0, 2, 0] + [0]
        assertDecodes(stream, to: [.frame(STOMPFrame(.SEND, headers: [("content-length", "5")], body: [0, 1, 0, 2, 0]))])
    }

    func testZeroContentLengthMeansEmptyBody() {
        assertDecodes(bytes("SEND\ncontent-length:0\n\n\0"), to: [frameEvent(.SEND, [("content-length", "0")])])
    }

    func testBodyWithoutContentLengthEndsAtFirstNUL() {
        assertDecodeFails(
            bytes("SEND\n\nab\0cd\n\n\0"),
            with: .unknownCommand, // "cd" starts a new frame: the body ended at the first NUL
            eventsBefore: [frameEvent(.SEND, body: "ab")]
        )
    }

    func testContentLengthFollowedByNonNULIsMissingTerminator() {
        assertDecodeFails(
            bytes("SEND\nreceipt:r\ncontent-length:2\n\nabc\0"),
            with: .missingNullTerminator, receipt: "r"
        )
    }

    func testMissingTerminatorIsReportedAsSoonAsTheByteArrives() {
        var decoder = STOMPDecoder()
        decoder.feed(bytes("SEND\ncontent-length:2\n\nab"))
        XCTAssertNil(try decoder.next())
        decoder.feed(bytes("X"))
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertEqual((error as? STOMPWireError)?.kind, .missingNullTerminator)
        }
    }

    func testNonNumericContentLengthIsInvalid() {
        for value in ["abc", "", "-1", "+3", " 3", "3 ", "1.5", "0x10"] {
            assertDecodeFails(
                bytes("SEND\nreceipt:r\ncontent-length:\(value)\n\n\0"),
                with: .invalidContentLength, receipt: "r"
            )
        }
    }

    func testContentLengthWithTrailingCRIsInvalidIn10() {
        assertDecodeFails(bytes("SEND\ncontent-length:1\r\n\nx\0"), version: .v1_0, with: .invalidContentLength)
    }

    func testHugeContentLengthIsTooLargeNotOverflow() {
        assertDecodeFails(bytes("SEND\ncontent-length:99999999999999999999999999\n\n"), with: .bodyTooLarge)
    }

    func testFirstContentLengthWins() {
        assertDecodes(
            bytes("SEND\ncontent-length:1\ncontent-length:junk\n\nx\0"),
            to: [frameEvent(.SEND, [("content-length", "1"), ("content-length", "junk")], body: "x")]
        )
    }

    func testContentLengthWithLeadingZerosIsAccepted() {
        assertDecodes(bytes("SEND\ncontent-length:002\n\nab\0"), to: [frameEvent(.SEND, [("content-length", "002")], body: "ab")])
    }

    func testContentLengthIsCheckedAfterUnescaping() {
        assertDecodeFails(bytes("SEND\ncontent-length:1\\c\n\nx\0"), with: .invalidContentLength)
    }
}
