import WebSocketWire
import XCTest

final class OriginPatternTests: XCTestCase {
    private func allowed(_ origin: String, _ patterns: [String]) -> Bool {
        WebSocketHandshake.originAllowed(origin, patterns: patterns)
    }

    func testStarAllowsEverything() {
        XCTAssertTrue(allowed("https://anything.example", ["*"]))
        XCTAssertTrue(allowed("null", ["https://a.example", "*"]))
    }

    func testNoPatternsAllowNothing() {
        XCTAssertFalse(allowed("https://app.example.com", []))
    }

    func testExactPatternsMatchCaseInsensitively() {
        XCTAssertTrue(allowed("HTTPS://App.Example.COM", ["https://app.example.com"]))
        XCTAssertFalse(allowed("https://app.example.com:8443", ["https://app.example.com"]))
        XCTAssertFalse(allowed("http://app.example.com", ["https://app.example.com"]))
    }

    func testPortWildcardMatchesAnyPortOrNoPort() {
        let patterns = ["http://localhost:*"]
        XCTAssertTrue(allowed("http://localhost", patterns))
        XCTAssertTrue(allowed("http://localhost:8080", patterns))
        XCTAssertTrue(allowed("http://LOCALHOST:3000", patterns))
    }

    func testPortWildcardDoesNotMatchOtherHosts() {
        let patterns = ["http://localhost:*"]
        XCTAssertFalse(allowed("http://localhost.evil.com", patterns))
        XCTAssertFalse(allowed("http://localhost:8080.evil.com", patterns))
        XCTAssertFalse(allowed("http://localhost:", patterns))
        XCTAssertFalse(allowed("http://localhostx:80", patterns))
        XCTAssertFalse(allowed("https://localhost:8080", patterns))
    }

    func testPortWildcardWorksForIPv6Literals() {
        XCTAssertTrue(allowed("http://[::1]:8080", ["http://[::1]:*"]))
        XCTAssertTrue(allowed("http://[::1]", ["http://[::1]:*"]))
    }

    func testSubdomainWildcard() {
        let patterns = ["https://*.example.com"]
        XCTAssertTrue(allowed("https://app.example.com", patterns))
        XCTAssertTrue(allowed("https://a.b.example.com", patterns))
        XCTAssertFalse(allowed("https://example.com", patterns))
        XCTAssertFalse(allowed("https://app.example.com.evil.net", patterns))
        XCTAssertFalse(allowed("https://evil.net/x.example.com", patterns))
    }

    func testAnyOfSeveralPatternsSuffices() {
        XCTAssertTrue(allowed("http://localhost:5173", ["https://app.example.com", "http://localhost:*"]))
    }
}
