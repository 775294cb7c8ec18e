import HTTPWire
import XCTest

final class HTTPRequestParserTests: XCTestCase {
    func testParsesRequestLineHeadersPathAndQuery() throws {
        let request = try XCTUnwrap(assertSingleRequest(
            "GET /ws?token=abc&x=1?y HTTP/1.1\r\nHost: example.com\r\nUpgrade:  websocket \r\n\r\n"
        ))
        XCTAssertEqual(request.head.method, "GET")
        XCTAssertEqual(request.head.target, "/ws?token=abc&x=1?y")
        XCTAssertEqual(request.head.path, "/ws")
        XCTAssertEqual(request.head.query, "token=abc&x=1?y")
        XCTAssertEqual(request.head.versionMinor, 1)
        XCTAssertEqual(request.head.headers, [
            HTTPHeader(name: "Host", value: "example.com"),
            HTTPHeader(name: "Upgrade", value: "websocket"),
        ])
        XCTAssertEqual(request.body, [])
    }

    func testTargetWithoutQueryHasNilQuery() throws {
        let request = try XCTUnwrap(assertSingleRequest("GET /health HTTP/1.1\r\n\r\n"))
        XCTAssertEqual(request.head.path, "/health")
        XCTAssertNil(request.head.query)
    }

    func testBareLFLineEndsAreAccepted() throws {
        let request = try XCTUnwrap(assertSingleRequest("GET / HTTP/1.0\nA: 1\nB: 2\n\n"))
        XCTAssertEqual(request.head.versionMinor, 0)
        XCTAssertEqual(request.head.headers.map(\.value), ["1", "2"])
    }

    func testMissingHostIsAllowedInHTTP11() {
        XCTAssertNotNil(assertSingleRequest("GET / HTTP/1.1\r\n\r\n"))
    }

    func testEmptyHeaderValueIsAllowed() throws {
        let request = try XCTUnwrap(assertSingleRequest("GET / HTTP/1.1\r\nX-Empty:\r\n\r\n"))
        XCTAssertEqual(request.head.header("x-empty"), "")
    }

    func testContentLengthBodyIsReturned() throws {
        let request = try XCTUnwrap(assertSingleRequest("POST /api HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"))
        XCTAssertEqual(request.body, Array("hello".utf8))
    }

    func testIncompleteBodyYieldsNoRequest() {
        let outcome = parseBothWays("POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nhello")
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.requests, [])
    }

    func testIdenticalRepeatedContentLengthsAreAccepted() throws {
        let request = try XCTUnwrap(assertSingleRequest(
            "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc"
        ))
        XCTAssertEqual(request.body, Array("abc".utf8))
    }

    func testPipelinedRequestsAreReturnedInOrder() {
        let outcome = parseBothWays(
            "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nxyGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.0\r\n\r\n"
        )
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.requests.map(\.head.path), ["/a", "/b", "/c"])
        XCTAssertEqual(outcome.requests.map(\.body), [Array("xy".utf8), [], []])
        XCTAssertEqual(outcome.leftover, [])
    }

    func testLeadingEmptyLinesAreIgnored() {
        XCTAssertNotNil(assertSingleRequest("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n"))
    }

    func testTakeBufferedBytesReturnsFramesThatFollowedTheUpgradeRequest() throws {
        let frames: [UInt8] = [0x81, 0x85, 1, 2, 3, 4, 0x00, 0x0A, 0x0D, 0xFF]
        let input = Array("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".utf8) + frames
        // Whole: one read carries the request and the first frames.
        var whole = HTTPRequestParser()
        whole.feed(input)
        XCTAssertEqual(try whole.next()?.head.path, "/ws")
        XCTAssertEqual(whole.takeBufferedBytes(), frames)
        // Byte by byte: the owner stops calling next() once it has the upgrade request.
        var bytewise = HTTPRequestParser()
        var request: HTTPRequest?
        for byte in input {
            bytewise.feed([byte])
            if request == nil { request = try bytewise.next() }
        }
        XCTAssertEqual(request?.head.path, "/ws")
        XCTAssertEqual(bytewise.takeBufferedBytes(), frames)
    }

    func testTakeBufferedBytesIncludesAPartialNextRequestAndResetsTheParser() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET /a HTTP/1.1\r\n\r\nGET /b HT".utf8))
        XCTAssertEqual(try parser.next()?.head.path, "/a")
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.takeBufferedBytes(), Array("GET /b HT".utf8))
        XCTAssertEqual(parser.takeBufferedBytes(), [])
        parser.feed(Array("GET /c HTTP/1.1\r\n\r\n".utf8))
        XCTAssertEqual(try parser.next()?.head.path, "/c")
    }

    func testUnsafeRawBufferFeedMatchesArrayFeed() throws {
        var parser = HTTPRequestParser()
        let bytes = Array("GET /raw HTTP/1.1\r\n\r\n".utf8)
        bytes.withUnsafeBytes { parser.feed($0) }
        XCTAssertEqual(try parser.next()?.head.path, "/raw")
    }

    // MARK: - Malformed input

    func testChunkedBodyIsDecodedWithExtensionsAndTrailers() throws {
        let request = try XCTUnwrap(assertSingleRequest(
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: 1\r\n\r\n"))
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), "hello, chunked!")
    }

    func testRequestAfterAChunkedBodyIsParsedToo() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n".utf8))
        XCTAssertEqual(try parser.next()?.body, Array("ok".utf8))
        XCTAssertEqual(try parser.next()?.head.path, "/b")
    }

    func testChunkedBodiesObeyTheBodyLimit() {
        let limits = HTTPLimits(maxBodyBytes: 8)
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", status: 413, limits: limits)
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n", status: 413, limits: limits)
    }

    func testChunkFramingCannotStretchTheWireFarPastTheBodyLimit() {
        // One-byte chunks with 1 KiB extensions: a tiny body, but the bytes to hold grow without end.
        let chunk = "1;" + String(repeating: "e", count: 1000) + "\r\nx\r\n"
        let input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: 100)
        assertRejected(input, status: 413, limits: HTTPLimits(maxBodyBytes: 1024))
    }

    func testMalformedChunksAre400() {
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX", status: 400)
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n", status: 400)
    }

    func testContentLengthWithChunkedIs400AndOtherCodingsAre501() {
        assertRejected("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: 501)
        assertRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 501)
    }

    func testUnsupportedVersionsAre505() {
        assertRejected("GET / HTTP/2.0\r\n\r\n", status: 505)
        assertRejected("GET / HTTP/1.2\r\n\r\n", status: 505)
        assertRejected("GET / HTTP/0.9\r\n\r\n", status: 505)
    }

    func testMalformedVersionIs400() {
        assertRejected("GET / HTTP/1\r\n\r\n", status: 400)
        assertRejected("GET / http/1.1\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.x\r\n\r\n", status: 400)
    }

    func testMalformedRequestLinesAre400() {
        assertRejected("GET /\r\n\r\n", status: 400)
        assertRejected("GET  / HTTP/1.1\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1 \r\n\r\n", status: 400)
        assertRejected("G(T / HTTP/1.1\r\n\r\n", status: 400)
        assertRejected("GET /a\u{01}b HTTP/1.1\r\n\r\n", status: 400)
    }

    func testObsoleteLineFoldingIs400() {
        assertRejected("GET / HTTP/1.1\r\nX-A: one\r\n  two\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\n\tX-A: one\r\n\r\n", status: 400)
    }

    func testInvalidHeaderNamesAre400() {
        assertRejected("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nHost : x\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nBad@Name: x\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\n: x\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nNoColon\r\n\r\n", status: 400)
    }

    func testControlCharactersInHeaderValuesAre400() {
        assertRejected("GET / HTTP/1.1\r\nX-A: a\u{00}b\r\n\r\n", status: 400)
        assertRejected("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", status: 400)
    }

    func testInvalidContentLengthIs400() {
        assertRejected("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", status: 400)
        assertRejected("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400)
    }

    func testErrorIsStickyAcrossLaterCalls() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/9.9\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next())
        parser.feed(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next()) { error in
            XCTAssertEqual((error as? HTTPParseError)?.status, 505)
        }
    }
}
