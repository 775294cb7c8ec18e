import Applications
import JSONMessages
import STOMPWire
import Webhooks
import XCTest

final class WebhookFormatTests: XCTestCase {
    let sender = ApplicationSender(user: "alice", nodeID: "node1", sessionID: 7, endpoint: "websocket")

    func call(_ kind: ApplicationCall.Kind = .send, body: [UInt8] = Array("hi".utf8)) -> ApplicationCall {
        ApplicationCall(kind: kind, sender: sender, destination: "/app/chat.send",
                        route: ApplicationRoute(pattern: "/app/chat.**", target: .webhook(WebhookTarget(url: "http://x/"))),
                        headers: [STOMPHeader(name: "content-type", value: "text/plain"), STOMPHeader(name: "app-user", value: "forged"),
                                  STOMPHeader(name: "x", value: "1"), STOMPHeader(name: "x", value: "2")],
                        body: body, receipt: "r1")
    }

    func testRequestCarriesSenderIdentitySessionNodeEndpointDestinationHeadersAndBody() throws {
        let json = try JSONValue.parse(WebhookFormat.requestBody(for: call()))
        XCTAssertEqual(json, .object([
            "kind": .string("send"), "destination": .string("/app/chat.send"), "route": .string("/app/chat.**"),
            "user": .string("alice"), "session": .string("node1/7"), "node": .string("node1"), "endpoint": .string("websocket"),
            "headers": .object(["content-type": .string("text/plain"), "x": .string("1")]), "body": .string("hi"),
        ]))
    }

    func testSubscribeCallNamesItsSubscriptionAndBinaryBodiesAreBase64() throws {
        let json = try JSONValue.parse(WebhookFormat.requestBody(for: call(.subscribe(subscriptionID: "sub-1"), body: [0xFF, 0x00])))
        guard case .object(let fields) = json else { return XCTFail() }
        XCTAssertEqual(fields["kind"], .string("subscribe"))
        XCTAssertEqual(fields["subscription"], .string("sub-1"))
        XCTAssertEqual(fields["body_base64"], .string("/wA="))
        XCTAssertNil(fields["body"])
    }

    func testEmptyAnswerRoutesNothingAndMessagesAreRoutedToTopicUserOrSenderSession() {
        XCTAssertEqual(WebhookFormat.outcome(status: 204, body: [], call: call(), userPrefix: "/user/"), .route([]))
        let body = Array(#"""
        {"messages":[{"destination":"/topic/t","body":"all"},
                     {"destination":"/user/bob/queue/x","headers":{"k":"v"},"body_base64":"AAE="},
                     {"destination":"/user/alice/queue/r","body":"me","session":"sender"}]}
        """#.utf8)
        XCTAssertEqual(WebhookFormat.outcome(status: 200, body: body, call: call(), userPrefix: "/user/"), .route([
            ApplicationReply(destination: "/topic/t", headers: [], body: Array("all".utf8)),
            ApplicationReply(destination: "/user/bob/queue/x", headers: [STOMPHeader(name: "k", value: "v")], body: [0, 1]),
            ApplicationReply(destination: "/user/alice/queue/r", headers: [], body: Array("me".utf8),
                             toSession: SessionReply(session: SessionAddress(nodeID: "node1", sessionID: 7), subscription: nil)),
        ]))
    }

    func testAnswerOfASubscribeCallGoesToThatSubscriptionOnly() {
        let outcome = WebhookFormat.outcome(status: 200, body: Array(#"{"answer":{"body":"[1,2]"}}"#.utf8),
                                            call: call(.subscribe(subscriptionID: "s9")), userPrefix: "/user/")
        XCTAssertEqual(outcome, .route([ApplicationReply(
            destination: "/user/alice/app/chat.send", headers: [], body: Array("[1,2]".utf8),
            toSession: SessionReply(session: SessionAddress(nodeID: "node1", sessionID: 7), subscription: "s9"))]))
        guard case .refuse = WebhookFormat.outcome(status: 200, body: Array(#"{"answer":{}}"#.utf8), call: call(), userPrefix: "/user/") else {
            return XCTFail("answer on a send call must be refused")
        }
    }

    func testStatusesDecideBetweenRetryAndRefusal() {
        for status in [408, 429, 500, 502, 503] {
            XCTAssertEqual(WebhookFormat.outcome(status: status, body: [], call: call(), userPrefix: "/user/"), .retry("HTTP \(status)"))
        }
        for status in [301, 400, 403, 404] {
            guard case .refuse = WebhookFormat.outcome(status: status, body: [], call: call(), userPrefix: "/user/") else { return XCTFail("\(status)") }
        }
    }

    func testErrorFieldRefusesWithTheBackendsMessage() {
        XCTAssertEqual(WebhookFormat.outcome(status: 200, body: Array(#"{"error":"room is closed"}"#.utf8), call: call(), userPrefix: "/user/"),
                       .refuse("room is closed"))
    }

    func testMalformedAnswersAreRefusedNotRetried() {
        let bad = [#"not json"#, #"[1]"#, #"{"messages":[{"body":"no destination"}]}"#, #"{"mesages":[]}"#,
                   #"{"messages":[{"destination":"/topic/t","session":"other"}]}"#, #"{"messages":[{"destination":"/t","body":"a","body_base64":"AA=="}]}"#]
        for text in bad {
            guard case .refuse(let message) = WebhookFormat.outcome(status: 200, body: Array(text.utf8), call: call(), userPrefix: "/user/") else {
                return XCTFail(text)
            }
            XCTAssertTrue(message.hasPrefix("the application answered with an invalid response"), message)
        }
    }
}

final class WebhookPolicyTests: XCTestCase {
    func testBackoffDoublesUpToTheCeilingAndStopsAfterTheLastAttempt() {
        let policy = WebhookRetryPolicy(maxAttempts: 5, initialMilliseconds: 100, maxMilliseconds: 300)
        XCTAssertEqual((1...5).map { policy.delay(afterAttempt: $0) }, [100, 200, 300, 300, nil])
        XCTAssertNil(WebhookRetryPolicy(maxAttempts: 1, initialMilliseconds: 100, maxMilliseconds: 300).delay(afterAttempt: 1))
    }

    func testLineStartsUpToTheBoundQueuesThenRejects() {
        var line = WebhookLine<Int>(maxConcurrent: 2, maxQueued: 1)
        guard case .start(1) = line.submit(1), case .start(2) = line.submit(2) else { return XCTFail() }
        guard case .queued = line.submit(3) else { return XCTFail() }
        guard case .rejected(4) = line.submit(4) else { return XCTFail() }
        XCTAssertEqual(line.inFlight, 2)
        XCTAssertEqual(line.finished(), 3)
        XCTAssertEqual(line.inFlight, 2)
        XCTAssertNil(line.finished())
        XCTAssertEqual(line.inFlight, 1)
    }

    func testRetriesGoAheadOfNewCallsAndAreNeverRejected() {
        var line = WebhookLine<Int>(maxConcurrent: 1, maxQueued: 1)
        guard case .start(1) = line.submit(1), case .queued = line.submit(2) else { return XCTFail() }
        guard case .queued = line.submit(9, retry: true) else { return XCTFail() }
        XCTAssertEqual(line.queuedCount, 2)
        XCTAssertEqual(line.finished(), 9)
        XCTAssertEqual(line.finished(), 2)
    }
}

final class HookFormatTests: XCTestCase {
    func testConnectRequestCarriesCredentialsAndOtherHeaders() throws {
        let request = HookFormat.ConnectRequest(node: "n1", session: "n1/3", endpoint: "stomp", login: "cookie", passcode: "s3cret",
                                                headers: [("login", "cookie"), ("passcode", "s3cret"), ("x-token", "abc"), ("accept-version", "1.2")])
        XCTAssertEqual(try JSONValue.parse(request.body), .object([
            "event": .string("connect"), "node": .string("n1"), "session": .string("n1/3"), "endpoint": .string("stomp"),
            "login": .string("cookie"), "passcode": .string("s3cret"),
            "headers": .object(["x-token": .string("abc"), "accept-version": .string("1.2")]),
        ]))
    }

    func testConnectDecisions() {
        XCTAssertEqual(HookFormat.connectDecision(status: 200, body: Array(#"{"user":"bob","roles":["agent"]}"#.utf8)), .accept(user: "bob", roles: ["agent"]))
        XCTAssertEqual(HookFormat.connectDecision(status: 200, body: Array("{}".utf8)), .accept(user: nil, roles: []))
        XCTAssertEqual(HookFormat.connectDecision(status: 200, body: Array(#"{"error":"expired"}"#.utf8)), .refuse("expired"))
        XCTAssertEqual(HookFormat.connectDecision(status: 403, body: []), .refuse("refused by the authentication backend"))
        XCTAssertEqual(HookFormat.connectDecision(status: 503, body: []), .refuse("authentication unavailable"))
        XCTAssertEqual(HookFormat.connectDecision(status: 200, body: Array(#"{"user":"a","extra":1}"#.utf8)), .refuse("authentication unavailable"))
        XCTAssertEqual(HookFormat.connectDecision(status: 200, body: Array(#"{"user":"a:b"}"#.utf8)), .refuse("authentication backend returned an unusable user name"))
    }

    func testEventBody() throws {
        let body = HookFormat.eventBody(.subscribe(destination: "/topic/a", subscription: "s1"), node: "n", session: "n/1", user: "u", endpoint: "websocket", atMilliseconds: 5)
        XCTAssertEqual(try JSONValue.parse(body), .object([
            "event": .string("subscribe"), "node": .string("n"), "session": .string("n/1"), "user": .string("u"),
            "endpoint": .string("websocket"), "at": .integer(5), "destination": .string("/topic/a"), "subscription": .string("s1"),
        ]))
    }
}
