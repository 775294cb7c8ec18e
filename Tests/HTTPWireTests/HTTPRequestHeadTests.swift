import HTTPWire
import XCTest

final class HTTPRequestHeadTests: XCTestCase {
    private func head(version: Int = 1, _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(method: "GET", target: "/", versionMinor: version, headers: headers.map { HTTPHeader(name: $0.0, value: $0.1) })
    }

    func testHeaderLookupIsCaseInsensitiveAndReturnsTheFirst() {
        let head = head([("X-Thing", "one"), ("x-thing", "two")])
        XCTAssertEqual(head.header("X-THING"), "one")
        XCTAssertNil(head.header("X-Other"))
    }

    func testTokensCoverAllOccurrencesTrimmedAndLowercased() {
        let head = head([("Connection", " keep-alive ,Upgrade"), ("Other", "x"), ("connection", ",, TE ")])
        XCTAssertEqual(head.tokens("connection"), ["keep-alive", "upgrade", "te"])
        XCTAssertEqual(head.tokens("missing"), [])
    }

    func testKeepAliveIsTheDefaultForHTTP11UnlessClose() {
        XCTAssertTrue(head([]).keepAlive)
        XCTAssertFalse(head([("Connection", "Close")]).keepAlive)
    }

    func testKeepAliveIsOptInForHTTP10() {
        XCTAssertFalse(head(version: 0, []).keepAlive)
        XCTAssertTrue(head(version: 0, [("Connection", "Keep-Alive")]).keepAlive)
    }
}

final class HTTPTokenCaseTests: XCTestCase {
    func testTokensAreLowercasedAsASCIIOnly() {
        let head = HTTPRequestHead(method: "GET", target: "/", headers: [HTTPHeader(name: "Upgrade", value: "WebSocket, websoc\u{212A}et")])
        XCTAssertEqual(head.tokens("upgrade"), ["websocket", "websoc\u{212A}et"], "the Kelvin sign is not a K")
    }
}
