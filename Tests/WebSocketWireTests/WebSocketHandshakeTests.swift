import HTTPWire
import WebSocketWire
import XCTest

final class WebSocketHandshakeTests: XCTestCase {
    private let policy = WebSocketHandshakePolicy(paths: ["/ws", "/stomp"], allowedOrigins: ["https://app.example.com"])
    private let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="

    private func request(
        method: String = "GET",
        target: String = "/ws",
        without omitted: Set<String> = [],
        replacing overrides: [String: String] = [:],
        adding extra: [(String, String)] = []
    ) -> HTTPRequestHead {
        let standard: [(String, String)] = [
            ("Host", "example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", rfcKey),
            ("Sec-WebSocket-Version", "13"),
        ]
        var headers: [HTTPHeader] = []
        for (name, value) in standard where !omitted.contains(name) {
            headers.append(HTTPHeader(name: name, value: overrides[name] ?? value))
        }
        headers += extra.map { HTTPHeader(name: $0.0, value: $0.1) }
        return HTTPRequestHead(method: method, target: target, versionMinor: 1, headers: headers)
    }

    private func evaluate(_ head: HTTPRequestHead, policy: WebSocketHandshakePolicy? = nil) -> WebSocketHandshake.Outcome {
        WebSocketHandshake.evaluate(head, policy: policy ?? self.policy, sha1: TestSHA1.hash)
    }

    /// The rejection response, failing the test if the request was accepted.
    private func rejection(_ head: HTTPRequestHead, file: StaticString = #filePath, line: UInt = #line) -> HTTPResponse? {
        guard case .reject(let response) = evaluate(head) else {
            XCTFail("expected a rejection", file: file, line: line)
            return nil
        }
        return response
    }

    private func accepted(_ head: HTTPRequestHead, file: StaticString = #filePath, line: UInt = #line) -> (HTTPResponse, String?)? {
        guard case .accept(let response, let subprotocol) = evaluate(head) else {
            XCTFail("expected acceptance", file: file, line: line)
            return nil
        }
        return (response, subprotocol)
    }

    private func assertRejected(
        _ head: HTTPRequestHead,
        status: Int,
        header: (String, String)? = nil,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        guard let response = rejection(head, file: file, line: line) else { return }
        XCTAssertEqual(response.status, status, file: file, line: line)
        XCTAssertEqual(response.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).hasSuffix("\"status\":\(status)}"), file: file, line: line)
        if let (name, value) = header {
            XCTAssertEqual(response.header(name), value, file: file, line: line)
        }
    }

    // MARK: - Accept

    func testAcceptKeyMatchesRFC6455Example() {
        XCTAssertEqual(WebSocketHandshake.acceptKey(for: rfcKey, sha1: TestSHA1.hash), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testValidUpgradeIsAcceptedWith101() throws {
        let (response, subprotocol) = try XCTUnwrap(accepted(request()))
        XCTAssertNil(subprotocol)
        XCTAssertEqual(
            String(decoding: response.encode(), as: UTF8.self),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        )
    }

    func testHeaderTokensAreMatchedCaseInsensitivelyInLists() {
        let head = request(replacing: ["Upgrade": "WebSocket", "Connection": "keep-alive, UPGRADE", "Sec-WebSocket-Version": " 13 "])
        XCTAssertNotNil(accepted(head))
    }

    func testPathIsMatchedWithoutTheQuery() {
        XCTAssertNotNil(accepted(request(target: "/stomp?access_token=x")))
    }

    func testFirstServerPreferredSubprotocolThatTheClientOfferedIsChosen() throws {
        let head = request(adding: [("Sec-WebSocket-Protocol", "v10.stomp, v12.stomp"), ("Sec-WebSocket-Protocol", "v11.stomp")])
        let (response, subprotocol) = try XCTUnwrap(accepted(head))
        XCTAssertEqual(subprotocol, "v12.stomp")
        XCTAssertEqual(response.header("Sec-WebSocket-Protocol"), "v12.stomp")
    }

    func testSubprotocolPreferenceFollowsThePolicyOrder() throws {
        let oldFirst = WebSocketHandshakePolicy(paths: ["/ws"], allowedOrigins: [], subprotocols: ["v10.stomp", "v12.stomp"])
        let head = request(adding: [("Sec-WebSocket-Protocol", "v12.stomp,v10.stomp")])
        guard case .accept(_, let subprotocol) = evaluate(head, policy: oldFirst) else { return XCTFail("rejected") }
        XCTAssertEqual(subprotocol, "v10.stomp")
    }

    func testNoMatchingSubprotocolAcceptsWithoutTheHeader() throws {
        let (response, subprotocol) = try XCTUnwrap(accepted(request(adding: [("Sec-WebSocket-Protocol", "mqtt, V12.STOMP")])))
        XCTAssertNil(subprotocol)
        XCTAssertNil(response.header("Sec-WebSocket-Protocol"))
    }

    func testDefaultSubprotocolsPreferNewestSTOMP() {
        XCTAssertEqual(policy.subprotocols, ["v12.stomp", "v11.stomp", "v10.stomp"])
    }

    // MARK: - Reject

    func testUnknownPathIs404() {
        assertRejected(request(target: "/other"), status: 404)
        assertRejected(request(target: "/ws/"), status: 404)
    }

    func testNonGetIs405WithAllow() {
        assertRejected(request(method: "POST"), status: 405, header: ("Allow", "GET"))
    }

    func testMissingUpgradeIs426() {
        assertRejected(request(without: ["Upgrade"]), status: 426, header: ("Upgrade", "websocket"))
        assertRejected(request(replacing: ["Upgrade": "h2c"]), status: 426, header: ("Upgrade", "websocket"))
    }

    func testConnectionWithoutUpgradeIs426() {
        assertRejected(request(replacing: ["Connection": "keep-alive"]), status: 426, header: ("Upgrade", "websocket"))
        assertRejected(request(without: ["Connection"]), status: 426, header: ("Upgrade", "websocket"))
    }

    func testWrongOrMissingVersionIs426WithSupportedVersion() {
        assertRejected(request(replacing: ["Sec-WebSocket-Version": "8"]), status: 426, header: ("Sec-WebSocket-Version", "13"))
        assertRejected(request(without: ["Sec-WebSocket-Version"]), status: 426, header: ("Sec-WebSocket-Version", "13"))
    }

    func testMissingOrInvalidKeyIs400() {
        assertRejected(request(without: ["Sec-WebSocket-Key"]), status: 400)
        assertRejected(request(replacing: ["Sec-WebSocket-Key": "not base64!"]), status: 400)
        // 15 and 17 bytes: only exactly 16 is a valid nonce.
        assertRejected(request(replacing: ["Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAA"]), status: 400)
        assertRejected(request(replacing: ["Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAAAAA="]), status: 400)
        XCTAssertNotNil(accepted(request(replacing: ["Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAAAA=="])))
    }

    func testDisallowedOriginIs403() {
        assertRejected(request(adding: [("Origin", "https://evil.example.net")]), status: 403)
    }

    func testAllowedOriginIsAccepted() {
        XCTAssertNotNil(accepted(request(adding: [("Origin", "https://APP.example.com")])))
    }

    func testAWebSocketSchemeOriginComesFromANonBrowserClientAndIsAllowedLikeNoOrigin() {
        let noBrowsers = WebSocketHandshakePolicy(paths: ["/ws"], allowedOrigins: [])
        guard case .accept = evaluate(request(adding: [("Origin", "ws://127.0.0.1")]), policy: noBrowsers) else { return XCTFail("rejected") }
        guard case .accept = evaluate(request(adding: [("Origin", "WSS://node.example.com")]), policy: noBrowsers) else { return XCTFail("rejected") }
        guard case .reject = evaluate(request(adding: [("Origin", "https://node.example.com")]), policy: noBrowsers) else { return XCTFail("accepted") }
    }

    func testMissingOriginIsAllowedEvenWithNoPatterns() {
        let noBrowsers = WebSocketHandshakePolicy(paths: ["/ws"], allowedOrigins: [])
        guard case .accept = evaluate(request(), policy: noBrowsers) else { return XCTFail("rejected") }
    }

    func testChecksRunInDocumentedOrder() {
        // Everything is wrong; the path is reported first, then the method, and so on.
        let broken = request(method: "POST", target: "/nope", without: ["Upgrade", "Sec-WebSocket-Key"], adding: [("Origin", "https://evil")])
        assertRejected(broken, status: 404)
        assertRejected(request(method: "POST", without: ["Upgrade"]), status: 405)
        assertRejected(request(without: ["Upgrade"], replacing: ["Sec-WebSocket-Version": "8"]), status: 426, header: ("Upgrade", "websocket"))
        assertRejected(request(without: ["Sec-WebSocket-Key"], adding: [("Origin", "https://evil")]), status: 400)
    }
}
