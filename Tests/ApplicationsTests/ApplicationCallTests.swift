import XCTest
import Applications
import STOMPWire

final class ApplicationCallTests: XCTestCase {
    let sender = ApplicationSender(user: "alice", nodeID: "node-1", sessionID: 42, endpoint: "websocket")

    func testTheSendersRolesAreListedSorted() {
        let agent = ApplicationSender(user: "bob", nodeID: "n", sessionID: 1, endpoint: "agent", roles: ["agent", "admin"])
        let call = ApplicationCall(kind: .send, sender: agent, destination: "/app/x", route: ApplicationRoute(pattern: "/app/**"), headers: [], body: [], receipt: nil)
        XCTAssertEqual(call.serviceHeaders.first { $0.name == "app-roles" }?.value, "agent,admin")
    }

    func testServiceHeadersDescribeTheSenderAfterTheClientsOwnHeaders() {
        let call = ApplicationCall(
            kind: .send, sender: sender, destination: "/app/chat.send", route: ApplicationRoute(pattern: "/app/**"),
            headers: [STOMPHeader(name: "content-type", value: "text/plain")], body: Array("hi".utf8), receipt: "r1")
        XCTAssertEqual(call.serviceHeaders.map { "\($0.name):\($0.value)" }, [
            "content-type:text/plain", "app-user:alice", "app-session:node-1/42", "app-node:node-1",
            "app-endpoint:websocket", "app-roles:", "app-route:/app/**", "app-kind:send",
        ])
    }

    func testClientsCannotForgeTheNodesAppHeaders() {
        let call = ApplicationCall(
            kind: .subscribe(subscriptionID: "sub-0"), sender: sender, destination: "/app/x", route: ApplicationRoute(pattern: "/app/**"),
            headers: [STOMPHeader(name: "app-user", value: "admin"), STOMPHeader(name: "app-session", value: "n/1"), STOMPHeader(name: "x", value: "1")],
            body: [], receipt: nil)
        XCTAssertEqual(call.headers, [STOMPHeader(name: "x", value: "1")])
        XCTAssertEqual(call.serviceHeaders.filter { $0.name == "app-user" }.map(\.value), ["alice"])
        XCTAssertEqual(call.serviceHeaders.suffix(2).map(\.value), ["subscribe", "sub-0"])
    }

    func testSessionAddressesRoundTripAndNodeIdsMayContainSlashes() {
        XCTAssertEqual(SessionAddress("node-1/42"), SessionAddress(nodeID: "node-1", sessionID: 42))
        XCTAssertEqual(SessionAddress("a/b/7"), SessionAddress(nodeID: "a/b", sessionID: 7))
        XCTAssertEqual(SessionAddress(nodeID: "n", sessionID: 3).description, "n/3")
        for bad in ["", "n", "/3", "n/", "n/x", "n/-1", "n/99999999999999999999999"] {
            XCTAssertNil(SessionAddress(bad), bad)
        }
    }

    func testReplyHeadersAreForServicesOnly() {
        let headers: STOMPHeaders = [STOMPHeader(name: "reply-to-session", value: "node-1/42")]
        XCTAssertEqual(SessionReply.parse(headers, senderIsService: false), .failure(.notAService))
        XCTAssertEqual(SessionReply.parse(headers, senderIsService: true),
                       .success(SessionReply(session: SessionAddress(nodeID: "node-1", sessionID: 42), subscription: nil)))
        XCTAssertEqual(SessionReply.parse([STOMPHeader(name: "x", value: "y")], senderIsService: false), .success(nil))
    }

    func testAReplyToASubscriptionNeedsAWellFormedSession() {
        let subscription = STOMPHeader(name: "reply-subscription", value: "sub-0")
        XCTAssertEqual(SessionReply.parse([subscription], senderIsService: true), .failure(.subscriptionWithoutSession))
        XCTAssertEqual(SessionReply.parse([STOMPHeader(name: "reply-to-session", value: "nope"), subscription], senderIsService: true),
                       .failure(.malformedSession("nope")))
        XCTAssertEqual(SessionReply.parse([STOMPHeader(name: "reply-to-session", value: "n/1"), subscription], senderIsService: true),
                       .success(SessionReply(session: SessionAddress(nodeID: "n", sessionID: 1), subscription: "sub-0")))
        XCTAssertEqual(SessionReply.Refusal.notAService.message,
                       "reply-to-session and reply-subscription may only be sent by a backend service")
    }

    func testDeliveredRepliesDoNotCarryTheRoutingHeaders() {
        let headers: STOMPHeaders = [STOMPHeader(name: "reply-to-session", value: "n/1"), STOMPHeader(name: "reply-subscription", value: "s"), STOMPHeader(name: "k", value: "v")]
        XCTAssertEqual(SessionReply.deliveredHeaders(headers), [STOMPHeader(name: "k", value: "v")])
    }
}
