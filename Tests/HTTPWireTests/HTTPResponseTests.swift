import HTTPWire
import XCTest

final class HTTPResponseTests: XCTestCase {
    private func text(_ response: HTTPResponse) -> String {
        String(decoding: response.encode(), as: UTF8.self)
    }

    func testEncodeWritesStatusLineHeadersContentLengthAndBody() {
        let response = HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
        XCTAssertEqual(text(response), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
    }

    func testSwitchingProtocolsHasNoContentLength() {
        let response = HTTPResponse(status: 101, headers: [("Upgrade", "websocket")])
        XCTAssertEqual(text(response), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
    }

    func testExplicitContentLengthIsNotDuplicated() {
        let response = HTTPResponse(status: 200, headers: [("content-length", "0")])
        XCTAssertEqual(text(response), "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
    }

    func testReasonPhrasesComeFromTheTable() {
        XCTAssertEqual(HTTPResponse(status: 426).reason, "Upgrade Required")
        XCTAssertEqual(HTTPResponse(status: 431).reason, "Request Header Fields Too Large")
        XCTAssertEqual(HTTPResponse(status: 505).reason, "HTTP Version Not Supported")
        XCTAssertEqual(HTTPResponse(status: 599).reason, "Server Error")
    }

    func testJSONErrorHasBodyContentTypeAndConnectionClose() {
        let response = HTTPResponse.jsonError(status: 405, message: "use GET", headers: [("Allow", "GET")])
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), #"{"error":"use GET","status":405}"#)
        XCTAssertEqual(response.headers, [
            HTTPHeader(name: "Content-Type", value: "application/json"),
            HTTPHeader(name: "Connection", value: "close"),
            HTTPHeader(name: "Allow", value: "GET"),
        ])
        XCTAssertTrue(text(response).contains("Content-Length: 32\r\n"))
    }

    func testJSONErrorEscapesTheMessage() {
        let response = HTTPResponse.jsonError(status: 400, message: "a\"b\\c\nd\re\tf\u{01}g\u{1F}é")
        XCTAssertEqual(
            String(decoding: response.body, as: UTF8.self),
            #"{"error":"a\"b\\c\nd\re\tf\u0001g\u001fé","status":400}"#
        )
    }
}
