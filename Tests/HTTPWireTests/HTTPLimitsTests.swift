import HTTPWire
import XCTest

final class HTTPLimitsTests: XCTestCase {
    func testDefaults() {
        let limits = HTTPLimits()
        XCTAssertEqual(limits.maxRequestLineBytes, 8192)
        XCTAssertEqual(limits.maxHeaderCount, 64)
        XCTAssertEqual(limits.maxHeaderBytes, 16384)
        XCTAssertEqual(limits.maxBodyBytes, 1_048_576)
    }

    /// "GET " + target + " HTTP/1.1" with exactly `length` bytes.
    private func requestLine(length: Int) -> String {
        "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1"
    }

    func testRequestLineAtLimitIsAccepted() {
        let limits = HTTPLimits(maxRequestLineBytes: 100)
        XCTAssertNotNil(assertSingleRequest(requestLine(length: 100) + "\r\n\r\n", limits: limits))
        XCTAssertNotNil(assertSingleRequest(requestLine(length: 100) + "\n\n", limits: limits))
    }

    func testRequestLineOverLimitIs414() {
        let limits = HTTPLimits(maxRequestLineBytes: 100)
        assertRejected(requestLine(length: 101) + "\r\n\r\n", status: 414, limits: limits)
    }

    func testRequestLineOverLimitIsDetectedBeforeItsLineEnd() {
        let limits = HTTPLimits(maxRequestLineBytes: 100)
        // No line feed ever arrives: the limit must be enforced while scanning.
        assertRejected("GET /" + String(repeating: "a", count: 96), status: 414, limits: limits)
        let atLimit = parseBothWays("GET /" + String(repeating: "a", count: 95) + "\r", limits: limits)
        XCTAssertNil(atLimit.error)
    }

    func testHeaderCountAtLimitIsAccepted() throws {
        let headers = (0..<5).map { "X-\($0): v\r\n" }.joined()
        let request = try XCTUnwrap(assertSingleRequest("GET / HTTP/1.1\r\n\(headers)\r\n", limits: HTTPLimits(maxHeaderCount: 5)))
        XCTAssertEqual(request.head.headers.count, 5)
    }

    func testHeaderCountOverLimitIs431() {
        let headers = (0..<6).map { "X-\($0): v\r\n" }.joined()
        assertRejected("GET / HTTP/1.1\r\n\(headers)\r\n", status: 431, limits: HTTPLimits(maxHeaderCount: 5))
    }

    /// A head of exactly `length` bytes including the terminating CRLFs.
    private func head(length: Int) -> String {
        let fixed = "GET / HTTP/1.1\r\nX: \r\n\r\n"
        return "GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: length - fixed.utf8.count) + "\r\n\r\n"
    }

    func testHeadAtLimitIsAccepted() {
        XCTAssertEqual(head(length: 200).utf8.count, 200)
        XCTAssertNotNil(assertSingleRequest(head(length: 200), limits: HTTPLimits(maxHeaderBytes: 200)))
    }

    func testHeadOverLimitIs431() {
        assertRejected(head(length: 201), status: 431, limits: HTTPLimits(maxHeaderBytes: 200))
    }

    func testHeadOverLimitIsDetectedBeforeTheHeadEnds() {
        // A header line that never ends must not be buffered past the limit.
        assertRejected("GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 200), status: 431, limits: HTTPLimits(maxHeaderBytes: 200))
    }

    func testBodyAtLimitIsAccepted() throws {
        let body = String(repeating: "b", count: 50)
        let request = try XCTUnwrap(assertSingleRequest(
            "POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\n" + body, limits: HTTPLimits(maxBodyBytes: 50)
        ))
        XCTAssertEqual(request.body.count, 50)
    }

    func testBodyOverLimitIs413FromTheHeaderAlone() {
        // Rejected as soon as the head ends, without waiting for the body.
        assertRejected("POST / HTTP/1.1\r\nContent-Length: 51\r\n\r\n", status: 413, limits: HTTPLimits(maxBodyBytes: 50))
    }

    func testHugeContentLengthIs413NotAnOverflow() {
        assertRejected("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413)
    }
}
