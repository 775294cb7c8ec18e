import STOMPWire
import XCTest

/// Every limit at the limit (accepted) and one past it (rejected as early as possible).
final class LimitTests: XCTestCase {
    // MARK: - Header line length

    private let lineLimits = STOMPLimits(maxHeaderLineBytes: 16)

    /// A `k:vvv…` header line with `length` bytes, no line ending.
    private func headerLine(length: Int) -> String {
        "k:" + String(repeating: "v", count: length - 2)
    }

    func testHeaderLineAtLimitIsAccepted() {
        assertDecodes(
            bytes("SEND\n\(headerLine(length: 16))\n\n\0"), limits: lineLimits,
            to: [frameEvent(.SEND, [("k", String(repeating: "v", count: 14))])]
        )
    }

    func testHeaderLineOverLimitIsRejectedWithReceipt() {
        assertDecodeFails(
            bytes("SEND\nreceipt:r\n\(headerLine(length: 17))\n\n\0"), limits: lineLimits,
            with: .headerLineTooLong, receipt: "r"
        )
    }

    func testHeaderLineOverLimitIsRejectedBeforeItsLF() {
        assertDecodeFails(bytes("SEND\n\(headerLine(length: 17))"), limits: lineLimits, with: .headerLineTooLong)
    }

    func testHeaderLineAtLimitWithoutLFWaits() {
        let outcome = decode(bytes("SEND\n\(headerLine(length: 16))"), limits: lineLimits, feeding: .byteByByte)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.events, [])
    }

    func testCRLFIsNotCountedInLineLengthIn12() {
        assertDecodes(
            bytes("SEND\r\n\(headerLine(length: 16))\r\n\r\n\0"), version: .v1_2, limits: lineLimits,
            to: [frameEvent(.SEND, [("k", String(repeating: "v", count: 14))])]
        )
        assertDecodeFails(
            bytes("SEND\r\n\(headerLine(length: 16))\rX"), version: .v1_2, limits: lineLimits,
            with: .headerLineTooLong
        )
    }

    func testCRIsPartOfTheLineIn11() {
        assertDecodeFails(
            bytes("SEND\n\(headerLine(length: 16))\r\n\n\0"), version: .v1_1, limits: lineLimits,
            with: .headerLineTooLong
        )
    }

    func testCommandLineAtAndOverLimit() {
        let frame = bytes("SUBSCRIBE\nid:1\n\n\0")
        assertDecodes(frame, limits: STOMPLimits(maxHeaderLineBytes: 9), to: [frameEvent(.SUBSCRIBE, [("id", "1")])])
        assertDecodeFails(frame, limits: STOMPLimits(maxHeaderLineBytes: 8), with: .headerLineTooLong)
    }

    // MARK: - Header count

    private let headerLimits = STOMPLimits(maxHeaders: 3)

    func testHeaderCountAtLimitIsAccepted() {
        assertDecodes(
            bytes("SEND\na:1\nb:2\nc:3\n\n\0"), limits: headerLimits,
            to: [frameEvent(.SEND, [("a", "1"), ("b", "2"), ("c", "3")])]
        )
    }

    func testHeaderCountAtLimitWithCRLFBlankLineIsAccepted() {
        assertDecodes(
            bytes("SEND\r\na:1\r\nb:2\r\nc:3\r\n\r\n\0"), version: .v1_2, limits: headerLimits,
            to: [frameEvent(.SEND, [("a", "1"), ("b", "2"), ("c", "3")])]
        )
    }

    func testHeaderCountOverLimitIsRejectedWithReceipt() {
        assertDecodeFails(
            bytes("SEND\nreceipt:r\nb:2\nc:3\nd:4\n\n\0"), limits: headerLimits,
            with: .tooManyHeaders, receipt: "r"
        )
    }

    func testHeaderCountOverLimitIsRejectedAtTheFirstByteOfTheExtraHeader() {
        assertDecodeFails(bytes("SEND\na:1\nb:2\nc:3\nd"), limits: headerLimits, with: .tooManyHeaders)
    }

    func testZeroHeaderLimitAllowsOnlyHeaderlessFrames() {
        let limits = STOMPLimits(maxHeaders: 0)
        assertDecodes(bytes("SEND\n\nx\0"), limits: limits, to: [frameEvent(.SEND, body: "x")])
        assertDecodeFails(bytes("SEND\na:1\n\n\0"), limits: limits, with: .tooManyHeaders)
    }

    // MARK: - Body size

    private let bodyLimits = STOMPLimits(maxBodyBytes: 10)

    func testContentLengthAtBodyLimitIsAccepted() {
        assertDecodes(
            bytes("SEND\ncontent-length:10\n\n0123456789\0"), limits: bodyLimits,
            to: [frameEvent(.SEND, [("content-length", "10")], body: "0123456789")]
        )
    }

    func testContentLengthOverBodyLimitIsRejectedBeforeTheBodyArrives() {
        assertDecodeFails(
            bytes("SEND\nreceipt:r\ncontent-length:11\n\n"), limits: bodyLimits,
            with: .bodyTooLarge, receipt: "r"
        )
    }

    func testNULTerminatedBodyAtLimitIsAccepted() {
        assertDecodes(bytes("SEND\n\n0123456789\0"), limits: bodyLimits, to: [frameEvent(.SEND, body: "0123456789")])
    }

    func testNULTerminatedBodyOverLimitIsRejectedWithoutWaitingForTheNUL() {
        assertDecodeFails(bytes("SEND\nreceipt:r\n\n0123456789A"), limits: bodyLimits, with: .bodyTooLarge, receipt: "r")
    }

    func testNULTerminatedBodyAtLimitWithoutNULWaits() {
        let outcome = decode(bytes("SEND\n\n0123456789"), limits: bodyLimits, feeding: .byteByByte)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.events, [])
    }

    // MARK: - Frame size (command line through body, NUL not counted)

    private let head = "SEND\nreceipt:r\n\n"
    private let clHead = "SEND\nreceipt:r\ncontent-length:4\n\n"

    func testNULTerminatedFrameAtLimitIsAccepted() {
        let limits = STOMPLimits(maxFrameBytes: head.utf8.count + 4)
        assertDecodes(bytes(head + "abcd\0"), limits: limits, to: [frameEvent(.SEND, [("receipt", "r")], body: "abcd")])
    }

    func testNULTerminatedFrameOverLimitIsRejectedWithoutWaitingForTheNUL() {
        let limits = STOMPLimits(maxFrameBytes: head.utf8.count + 3)
        assertDecodeFails(bytes(head + "abcd"), limits: limits, with: .frameTooLarge, receipt: "r")
    }

    func testContentLengthFrameAtLimitIsAccepted() {
        let limits = STOMPLimits(maxFrameBytes: clHead.utf8.count + 4)
        assertDecodes(
            bytes(clHead + "abcd\0"), limits: limits,
            to: [frameEvent(.SEND, [("receipt", "r"), ("content-length", "4")], body: "abcd")]
        )
    }

    func testContentLengthFrameOverLimitIsRejectedBeforeTheBodyArrives() {
        let limits = STOMPLimits(maxFrameBytes: clHead.utf8.count + 3)
        assertDecodeFails(bytes(clHead), limits: limits, with: .frameTooLarge, receipt: "r")
    }

    func testHeadersAloneOverFrameLimitAreRejectedBeforeTheLineEnds() {
        let limits = STOMPLimits(maxFrameBytes: 11)
        assertDecodes(bytes("SEND\nab:c\n\n\0"), limits: limits, to: [frameEvent(.SEND, [("ab", "c")])])
        assertDecodeFails(bytes("SEND\nabcdefg"), limits: limits, with: .frameTooLarge)
    }

    func testFrameLimitAppliesPerFrameAndIgnoresHeartBeats() {
        let limits = STOMPLimits(maxFrameBytes: head.utf8.count + 4)
        let frame = frameEvent(.SEND, [("receipt", "r")], body: "abcd")
        assertDecodes(
            bytes(head + "abcd\0\n\n" + head + "abcd\0"), limits: limits,
            to: [frame, .heartbeat, .heartbeat, frame]
        )
    }

    // MARK: - Defaults

    func testDefaultLimits() {
        let limits = STOMPLimits()
        XCTAssertEqual(limits.maxFrameBytes, 4 * 1024 * 1024 + 64 * 1024)
        XCTAssertEqual(limits.maxHeaders, 64)
        XCTAssertEqual(limits.maxHeaderLineBytes, 8 * 1024)
        XCTAssertEqual(limits.maxBodyBytes, 4 * 1024 * 1024)
    }

    func testDefaultBodyLimitAcceptsExactly4MiB() {
        let body = [UInt8](repeating: 0x61, count: 4 * 1024 * 1024)
        let stream = bytes("SEND\ncontent-length:\(body.count)\n\n") + body + [0]
        let outcome = decode(stream, feeding: .chunks(64 * 1024))
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.events.count, 1)
        let over = bytes("SEND\ncontent-length:\(body.count + 1)\n\n")
        XCTAssertEqual(decode(over).error?.kind, .bodyTooLarge)
    }
}

/// What the decoder reports for the node's memory budget.
final class DecoderHeldBytesTests: XCTestCase {
    func testAPartialFrameIsHeldAndACompletedOneIsReleased() throws {
        var decoder = STOMPDecoder()
        decoder.feed(Array("SEND\ndestination:/q\ncontent-length:100000\n\n".utf8) + [UInt8](repeating: 1, count: 70_000))
        XCTAssertNil(try decoder.next())
        XCTAssertTrue(decoder.isInsideFrame)
        XCTAssertGreaterThanOrEqual(decoder.heldByteCount, decoder.bufferedByteCount)
        XCTAssertGreaterThan(decoder.bufferedByteCount, 70_000 - 1)
        decoder.feed([UInt8](repeating: 1, count: 30_000) + [0])
        guard case .frame? = try decoder.next() else { return XCTFail("frame expected") }
        decoder.releaseConsumedBytes()
        XCTAssertFalse(decoder.isInsideFrame)
        XCTAssertEqual(decoder.heldByteCount, 0)
    }

    func testHeartBeatEOLsAreNotAFrameInProgress() throws {
        var decoder = STOMPDecoder()
        decoder.feed([0x0A, 0x0A])
        while try decoder.next() != nil {}
        XCTAssertFalse(decoder.isInsideFrame)
        decoder.feed(Array("SE".utf8))
        XCTAssertNil(try decoder.next())
        XCTAssertTrue(decoder.isInsideFrame)
    }
}
