import STOMPWire
import XCTest
import Gateway

/// `/app` destinations on one node: a STOMP service consumes, replies go to a user, one
/// session, one subscription or a topic. `svc` has the service role.
final class ApplicationTests: GatewayTestCase {
    override class var nodeArguments: [String] {
        ["--set", "applications.service-users=svc", "--set", "applications.routes=/app/hook.**:webhook:http://127.0.0.1:9/hook,/app/solo.**:stomp-service"]
    }

    private func service(_ pattern: String = "/app/**", kind: Kind = .tcp) throws -> TestClient {
        let service = try connectedClient(kind, login: "svc")
        try service.subscribe(pattern, id: "calls")
        return service
    }

    /// The next call whose body is `body` (calls left over by other tests sharing `/app/**` are skipped).
    private func call(_ body: String, at service: TestClient) throws -> STOMPFrame {
        while true {
            let frame = try service.expect(.MESSAGE)
            if String(decoding: frame.body, as: UTF8.self) == body { return frame }
        }
    }

    func testASendToAnAppDestinationReachesOneServiceWithTheSendersIdentityAndNoSubscriber() throws {
        let services = [try service("/app/solo.**"), try service("/app/solo.**", kind: .webSocket)]
        let bystander = try connectedClient(.tcp, login: "bob")
        try bystander.subscribe("/topic/#", id: "all")
        let alice = try connectedClient(.webSocket, login: "alice")
        try alice.publish("/app/solo.send", "hello", headers: [("app-user", "forged"), ("room", "1")])
        let frames = services.compactMap { try? $0.receive(timeout: 0.5) }
        XCTAssertEqual(frames.count, 1, "exactly one service gets the call")
        XCTAssertTrue(bystander.receivesNothing())
        let call = try XCTUnwrap(frames.first)
        XCTAssertEqual(call.command, .MESSAGE)
        XCTAssertEqual(call["destination"], "/app/solo.send")
        XCTAssertEqual(call["app-user"], "alice")
        XCTAssertEqual(call["app-kind"], "send")
        XCTAssertEqual(call["app-endpoint"], "websocket")
        XCTAssertEqual(call["app-route"], "/app/solo.**")
        XCTAssertEqual(call["room"], "1")
        XCTAssertNotNil(call["app-session"])
        XCTAssertEqual(call.headers.filter { $0.name == "app-user" }.count, 1)
        XCTAssertEqual(String(decoding: call.body, as: UTF8.self), "hello")
    }

    func testAServiceRepliesToTheSendingSessionOnlyToTheUserAndToATopic() throws {
        let service = try self.service()
        let alice1 = try connectedClient(.webSocket, login: "alice")
        let alice2 = try connectedClient(.tcp, login: "alice")
        let watcher = try connectedClient(.tcp, login: "bob")
        for c in [alice1, alice2] { try c.subscribe("/user/queue/replies", id: "r") }
        let topic = unique("/topic/app")
        try watcher.subscribe(topic, id: "t")
        try alice1.publish("/app/ask", "q")
        let call = try self.call("q", at: service)
        let session = try XCTUnwrap(call["app-session"])

        try service.publish("/user/alice/queue/replies", "only you", headers: [("reply-to-session", session)])
        let answer = try alice1.expect(.MESSAGE)
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "only you")
        XCTAssertEqual(answer["destination"], "/user/queue/replies")
        XCTAssertNil(answer["reply-to-session"])
        XCTAssertTrue(alice2.receivesNothing())

        try service.publish("/user/alice/queue/replies", "all of alice")
        for c in [alice1, alice2] { XCTAssertEqual(String(decoding: try c.expect(.MESSAGE).body, as: UTF8.self), "all of alice") }

        try service.publish(topic, "everyone")
        XCTAssertEqual(String(decoding: try watcher.expect(.MESSAGE).body, as: UTF8.self), "everyone")
    }

    func testCallsAndSessionRepliesAreCountedInTheMetrics() throws {
        let service = try self.service("/app/solo.**")
        let alice = try connectedClient(.tcp, login: "alice")
        try alice.subscribe("/user/queue/counted", id: "c")
        try alice.publish("/app/solo.count", "n")
        let call = try self.call("n", at: service)
        try service.publish("/user/alice/queue/counted", "ok", headers: [("reply-to-session", call["app-session"] ?? "")])
        _ = try alice.expect(.MESSAGE)
        let metrics = try httpGet(port: node.adminPort, path: "/metrics").body
        let value = { (name: String) -> Double in
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
        }
        XCTAssertGreaterThanOrEqual(value("stampede_application_calls_total"), 1)
        XCTAssertGreaterThanOrEqual(value("stampede_application_replies_total"), 1)
        XCTAssertEqual(value("stampede_presence_events_total"), 0)
    }

    func testOnlyAServiceMaySendReplyHeaders() throws {
        let mallory = try connectedClient(.tcp, login: "mallory")
        try mallory.send(.SEND, [("destination", "/user/alice/queue/replies"), ("reply-to-session", "n/1"), ("receipt", "r")], body: "x")
        let error = try mallory.expect(.ERROR)
        XCTAssertEqual(error["receipt-id"], "r")
        XCTAssertEqual(error["message"], "reply-to-session and reply-subscription may only be sent by a backend service")
        try mallory.waitForClose()
    }

    func testASubscribeToAnAppDestinationGetsExactlyOneAnswerOnThatSubscriptionOnly() throws {
        let service = try self.service()
        let alice = try connectedClient(.webSocket, login: "alice")
        try alice.subscribe("/user/queue/replies", id: "inbox")
        try alice.subscribe("/app/rooms.list", id: "rooms")
        let call = try self.call("", at: service)
        XCTAssertEqual(call["app-kind"], "subscribe")
        XCTAssertEqual(call["app-subscription"], "rooms")
        XCTAssertEqual(call["destination"], "/app/rooms.list")
        let answerHeaders = [("reply-to-session", call["app-session"] ?? ""), ("reply-subscription", "rooms")]
        try service.publish("/user/alice/queue/replies", "[1,2]", headers: answerHeaders)
        try service.publish("/user/alice/queue/replies", "again", headers: answerHeaders)
        let answer = try alice.expect(.MESSAGE)
        XCTAssertEqual(answer["subscription"], "rooms")
        XCTAssertEqual(answer["destination"], "/app/rooms.list")
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "[1,2]")
        XCTAssertTrue(alice.receivesNothing(), "one answer, not on the inbox")
        try alice.send(.UNSUBSCRIBE, [("id", "rooms"), ("receipt", "u")])
        try alice.awaitReceipt("u")
    }

    func testAWebhookRouteWhoseBackendIsUnreachableAnswersWithAnErrorAfterItsRetries() throws {
        let alice = try connectedClient(.tcp, login: "alice")
        try alice.send(.SEND, [("destination", "/app/hook.x"), ("receipt", "r")], body: "x")
        XCTAssertEqual(try alice.expect(.RECEIPT)["receipt-id"], "r", "the SEND was accepted; the call fails later")
        let error = try alice.expect(.ERROR)
        XCTAssertEqual(error["receipt-id"], "r")
        XCTAssertTrue(error["message"]?.hasPrefix("application backend unavailable: webhook failed after 3 attempts (connection failed") == true,
                      error["message"] ?? "")
    }

    func testMessagesWaitForAServiceAndAServiceMustSubscribeToARoutePattern() throws {
        let alice = try connectedClient(.tcp, login: "alice")
        try alice.publish("/app/later", "queued")
        let service = try connectedClient(.tcp, login: "svc")
        try service.send(.SUBSCRIBE, [("destination", "/app/x.**"), ("id", "bad"), ("receipt", "r")])
        XCTAssertEqual(try service.expect(.ERROR)["message"], "Services subscribe to exactly one of the application route patterns: /app/solo.**, /app/**")
        let late = try self.service()
        XCTAssertEqual(try call("queued", at: late)["destination"], "/app/later")
    }
}

final class ApplicationConfigurationTests: XCTestCase {
    func testApplicationPrefixesMayNotOverlapTheBrokersAndRoutesMustLieUnderOne() throws {
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, overrides: [("applications.prefixes", "/topic")])) {
            XCTAssertEqual(($0 as? ConfigurationError)?.description.contains("overlaps the destination prefix '/topic/'"), true, "\($0)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, overrides: [("applications.routes", "/rpc/x:stomp-service")])) {
            XCTAssertEqual(($0 as? ConfigurationError)?.description.contains("route '/rpc/x' is not under an application prefix"), true, "\($0)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, overrides: [("applications.routes", "/app/x:webhook:ftp://h")]))
        let configuration = try ConfigurationLoader.load(file: nil, overrides: [("applications.routes", "/app/x:webhook:http://h/y,/app/**:stomp-service")])
        XCTAssertEqual(configuration.applications.routes.map(\.targetText).sorted(), ["stomp-service", "webhook:http://h/y"])
    }
}

final class ApplicationLimitTests: GatewayTestCase {
    override class var nodeArguments: [String] { ["--set", "limits.max-subscriptions-per-session=2"] }

    func testApplicationSubscriptionsCountAgainstTheSubscriptionLimit() throws {
        let alice = try connectedClient(.tcp, login: "alice")
        try alice.subscribe("/app/a", id: "1")
        try alice.subscribe("/app/b", id: "2")
        try alice.send(.SUBSCRIBE, [("destination", "/app/c"), ("id", "3"), ("receipt", "r")])
        let error = try alice.expect(.ERROR)
        XCTAssertEqual(error["message"], "Too many subscriptions: at most 2 per connection")
        XCTAssertEqual(error["receipt-id"], "r")
    }
}
