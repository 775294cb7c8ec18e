import Auth
import Foundation
import STOMPWire
import XCTest

/// Tokens, endpoints, rules and the sender header against a real node process.
final class IdentityTests: XCTestCase {
    static let secret = String(repeating: "identity-test-secret-", count: 3)
    nonisolated(unsafe) static var node: NodeProcess?
    nonisolated(unsafe) static var key: VerificationKey?
    nonisolated(unsafe) static var configFile: URL?

    static let configuration = """
        listen:
          endpoints:
            chat: "path=/ws/chat auth=token roles=customer"
            agent: "path=/ws/agent auth=token tokens=bearer|connect roles=agent"
            stomp: "kind=stomp auth=token|users"
        auth:
          jwt:
            secret: "\(secret)"
            issuer: "https://id.example.com"
            audience: "stampede"
            leeway-seconds: 0
          users:
            svc: "svc-pass"
          rules:
            - "allow subscribe /topic/chat.{user}.* authenticated"
            - "allow send /topic/chat.*.* role:agent"
            - "allow send /topic/support role:customer"
            - "allow subscribe /topic/support role:agent"
            - "allow subscribe|send /queue/# authenticated"
            - "allow subscribe /user/queue/* authenticated"
            - "allow send /user/*/queue/* role:agent"
            - "allow * /topic/open.# anyone"
          default-policy: deny
        """

    override class func setUp() {
        super.setUp()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString).yml")
        try? configuration.write(to: file, atomically: true, encoding: .utf8)
        configFile = file
        node = try? NodeProcess(arguments: ["--config", file.path])
        let semaphore = DispatchSemaphore(value: 0)
        Task.detached {
            key = try? await TokenKeys.load([.hmac(secret: secret, algorithm: "HS256")]).first
            semaphore.signal()
        }
        semaphore.wait()
    }

    override class func tearDown() {
        _ = node?.stop()
        node = nil
        if let configFile { try? FileManager.default.removeItem(at: configFile) }
        super.tearDown()
    }

    var node: NodeProcess { get throws { try XCTUnwrap(Self.node, "node did not start") } }

    func token(_ user: String, roles: [String] = [], ttl: Int64 = 300, extra: [String: Any] = [:]) throws -> String {
        let now = Int64(Date().timeIntervalSince1970)
        var claims: [String: Any] = ["sub": user, "roles": roles, "exp": now + ttl, "iat": now, "iss": "https://id.example.com", "aud": "stampede"]
        for (name, value) in extra { claims[name] = value }
        return try TokenMinter.mint(claims: claims, key: try XCTUnwrap(Self.key))
    }

    func webSocket(_ path: String, headers: [(String, String)] = []) throws -> TestClient {
        try TestClient(port: try node.webSocketPort, transport: .webSocket(path: path, subprotocols: ["v12.stomp"], origin: nil), handshakeHeaders: headers)
    }

    /// The HTTP status of a handshake (101 when upgraded).
    func handshakeStatus(_ path: String, headers: [(String, String)] = []) throws -> Int {
        do {
            _ = try webSocket(path, headers: headers)
            return 101
        } catch let error as TestClientError {
            guard let status = Int(error.description.split(separator: " ").last ?? "") else { throw error }
            return status
        }
    }

    /// CONNECT; returns CONNECTED or ERROR.
    func connect(_ client: TestClient, _ headers: [(String, String)] = []) throws -> STOMPFrame {
        try client.send(.CONNECT, [("accept-version", "1.2"), ("host", "/")] + headers)
        return try client.receive()
    }

    /// SUBSCRIBE with a receipt; returns the RECEIPT or the ERROR.
    func subscribe(_ client: TestClient, _ destination: String, id: String = "1") throws -> STOMPFrame {
        try client.send(.SUBSCRIBE, [("destination", destination), ("id", id), ("receipt", "r-\(id)")])
        return try client.receive()
    }

    /// SEND with a receipt; returns the RECEIPT or the ERROR (MESSAGEs to the sender are stashed by the caller's order).
    func send(_ client: TestClient, _ destination: String, _ body: String, headers: [(String, String)] = []) throws -> STOMPFrame {
        try client.send(.SEND, [("destination", destination), ("receipt", "s")] + headers, body: body)
        return try client.receive()
    }

    // MARK: Token sources

    func testTokenInTheQueryConnectsAsItsUser() throws {
        let client = try webSocket("/ws/chat?access_token=\(try token("alice", roles: ["customer"]))")
        let connected = try connect(client)
        XCTAssertEqual(connected.command, .CONNECTED)
        XCTAssertEqual(connected["user-name"], "alice")
    }

    func testBearerHeaderCookieAndConnectHeaderCarryTokens() throws {
        let agent = try webSocket("/ws/agent", headers: [("Authorization", "Bearer \(try token("zoe", roles: ["agent"]))")])
        XCTAssertEqual(try connect(agent)["user-name"], "zoe")
        let cookie = try webSocket("/ws/chat", headers: [("Cookie", "theme=dark; stampede_token=\(try token("carol"))")])
        XCTAssertEqual(try connect(cookie)["user-name"], "carol")
        let inConnect = try webSocket("/ws/agent")
        XCTAssertEqual(try connect(inConnect, [("token", try token("zed", roles: ["agent"]))])["user-name"], "zed")
        let passcode = try TestClient(port: try node.stompPort)
        XCTAssertEqual(try connect(passcode, [("passcode", try token("pat"))])["user-name"], "pat")
    }

    func testUsersListLoginOnTheStompEndpoint() throws {
        let client = try TestClient(port: try node.stompPort)
        XCTAssertEqual(try connect(client, [("login", "svc"), ("passcode", "svc-pass")])["user-name"], "svc")
        let wrong = try TestClient(port: try node.stompPort)
        let error = try connect(wrong, [("login", "svc"), ("passcode", "nope")])
        XCTAssertEqual(error.command, .ERROR)
        XCTAssertFalse(error["message"]?.contains("nope") ?? true)
    }

    // MARK: Refusals

    func testBadTokensAreRefusedAtTheHandshakeWith401() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let unsigned = try TokenMinter.raw(header: ["alg": "none"], claims: ["sub": "mallory", "exp": now + 60], key: nil)
        let bad: [String] = [
            try token("alice", ttl: -10),
            try token("alice", extra: ["nbf": now + 600]),
            try token("alice", extra: ["iss": "https://evil.example.com"]),
            try token("alice", extra: ["aud": "other"]),
            unsigned,
            try token("alice") + "x",
        ]
        for value in bad {
            XCTAssertEqual(try handshakeStatus("/ws/chat?access_token=\(value)"), 401, value)
        }
        XCTAssertEqual(try handshakeStatus("/ws/agent"), 101, "tokens may still come in CONNECT")
    }

    func testChatEndpointWithoutAnyTokenIsRefused() throws {
        let client = try webSocket("/ws/chat")
        let error = try connect(client)
        XCTAssertEqual(error.command, .ERROR)
        XCTAssertTrue(error["message"]?.contains("token") ?? false)
    }

    func testBadTokenInConnectIsRefusedWithAnError() throws {
        let client = try webSocket("/ws/agent")
        let error = try connect(client, [("token", try token("zoe", ttl: -10))])
        XCTAssertEqual(error.command, .ERROR)
        XCTAssertEqual(error["message"], "authentication failed: token expired")
    }

    func testUnknownPathIs404() throws {
        XCTAssertEqual(try handshakeStatus("/ws", headers: [("Authorization", "Bearer \(try token("alice"))")]), 404)
    }

    func testExpiryEndsTheSession() throws {
        let client = try webSocket("/ws/agent", headers: [("Authorization", "Bearer \(try token("zoe", roles: ["agent"], ttl: 1))")])
        XCTAssertEqual(try connect(client).command, .CONNECTED)
        let error = try client.expect(.ERROR, timeout: 5)
        XCTAssertTrue(error["message"]?.contains("token expired") ?? false)
    }

    // MARK: Rules

    func testCustomerMayUseOnlyTheirOwnChatDestination() throws {
        let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
        _ = try connect(alice)
        XCTAssertEqual(try subscribe(alice, "/topic/chat.alice.inbox").command, .RECEIPT)
        let error = try subscribe(alice, "/topic/chat.bob.inbox", id: "2")
        XCTAssertEqual(error["message"], "Access denied: may not subscribe '/topic/chat.bob.inbox'")
    }

    func testWildcardSubscriptionOverOtherUsersIsDenied() throws {
        for pattern in ["/topic/#", "/topic/chat.#", "/topic/chat.*.inbox", "/topic/**"] {
            let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
            _ = try connect(alice)
            XCTAssertEqual(try subscribe(alice, pattern)["message"], "Access denied: may not subscribe '\(pattern)'")
        }
    }

    func testAgentSendsToACustomerAndTheMessageCarriesTheSender() throws {
        let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
        _ = try connect(alice)
        XCTAssertEqual(try subscribe(alice, "/topic/chat.alice.inbox").command, .RECEIPT)
        let zoe = try webSocket("/ws/agent", headers: [("Authorization", "Bearer \(try token("zoe", roles: ["agent"]))")])
        _ = try connect(zoe)
        XCTAssertEqual(try send(zoe, "/topic/chat.alice.inbox", "hello").command, .RECEIPT)
        let message = try alice.expect(.MESSAGE)
        XCTAssertEqual(message["user-id"], "zoe")
        XCTAssertEqual(String(decoding: message.body, as: UTF8.self), "hello")
    }

    func testCustomerMayNotSendToAnotherChat() throws {
        let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
        _ = try connect(alice)
        XCTAssertEqual(try send(alice, "/topic/chat.bob.inbox", "hi")["message"], "Access denied: may not send '/topic/chat.bob.inbox'")
    }

    /// A connection remembers only the last destination it was allowed to send to: a run of
    /// SENDs there goes through, and another destination is decided afresh (denied here).
    func testRepeatedAllowedSendsGoThroughAndAnotherDestinationIsStillDecided() throws {
        let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
        _ = try connect(alice)
        XCTAssertEqual(try subscribe(alice, "/topic/chat.alice.inbox").command, .RECEIPT)
        let zoe = try webSocket("/ws/agent", headers: [("Authorization", "Bearer \(try token("zoe", roles: ["agent"]))")])
        _ = try connect(zoe)
        for (index, destination) in ["/topic/chat.alice.inbox", "/topic/chat.alice.inbox", "/topic/chat.bob.inbox", "/topic/chat.alice.inbox"].enumerated() {
            XCTAssertEqual(try send(zoe, destination, "m\(index)").command, .RECEIPT, destination)
        }
        for index in [0, 1, 3] { XCTAssertEqual(String(decoding: try alice.expect(.MESSAGE).body, as: UTF8.self), "m\(index)") }
        XCTAssertEqual(try send(zoe, "/topic/support", "no")["message"], "Access denied: may not send '/topic/support'")
    }

    func testForgedSenderHeaderIsRefusedAndTheOwnNameIsKept() throws {
        let zoe = try webSocket("/ws/agent", headers: [("Authorization", "Bearer \(try token("zoe", roles: ["agent"]))")])
        _ = try connect(zoe)
        let destination = "/queue/forge-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(try subscribe(zoe, destination).command, .RECEIPT)
        try zoe.send(.SEND, [("destination", destination), ("user-id", "zoe")], body: "own")
        XCTAssertEqual(try zoe.expect(.MESSAGE)["user-id"], "zoe")
        XCTAssertTrue(try send(zoe, destination, "forged", headers: [("user-id", "alice")])["message"]?.contains("user-id") ?? false)
    }

    func testAnotherUsersUserDestinationCannotBeSubscribed() throws {
        for spelling in ["/user/bob/queue/x", "/USER/bob/queue/x", "/user/queue/../bob/queue/x", "/user//bob/queue/x", "/user/%62ob/queue/x", "/user/*/queue/x"] {
            let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
            _ = try connect(alice)
            XCTAssertEqual(try subscribe(alice, spelling).command, .ERROR, spelling)
        }
    }

    func testDenialsAreCountedInMetrics() throws {
        let alice = try webSocket("/ws/chat?access_token=\(try token("alice"))")
        _ = try connect(alice)
        XCTAssertEqual(try subscribe(alice, "/topic/secret").command, .ERROR)
        let metrics = try httpGet(port: try node.adminPort, path: "/metrics").body
        XCTAssertTrue(metrics.contains("stampede_access_denied_total{action=\"subscribe\"}"), metrics)
        XCTAssertTrue(metrics.contains("stampede_authentications_refused_total"))
    }

    func testRefusalLogsNameEndpointAndReasonButNoToken() throws {
        let bad = try token("alice", ttl: -10)
        _ = try handshakeStatus("/ws/chat?access_token=\(bad)")
        let deadline = Date().addingTimeInterval(3)
        while !(try node.log.contains("token expired")) && Date() < deadline { usleep(20_000) }
        let log = try node.log
        XCTAssertTrue(log.contains("endpoint=chat"), log)
        XCTAssertFalse(log.contains(bad))
        XCTAssertFalse(log.contains(Self.secret))
    }
}

final class SafeDefaultTests: XCTestCase {
    func testNodeOnAPublicAddressWithoutAuthenticationRefusesToStart() throws {
        let process = Process()
        process.executableURL = NodeProcess.executable
        process.arguments = ["--host", "0.0.0.0", "--port", "0", "--stomp-port", "off", "--admin-port", "off"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(output.contains("not a loopback address"), output)
    }

    func testLoopbackNodeWarnsAboutOpenAccess() throws {
        let node = try NodeProcess()
        defer { _ = node.stop() }
        XCTAssertTrue(node.waitForLog("open access"), node.log)
    }
}
