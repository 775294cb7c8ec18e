@testable import SockJSServer
import SockJSWire
import XCTest

/// What nodes relay to each other for SockJS sessions without sticky sessions.
final class SockJSRelayMessageTests: XCTestCase {
    func testEveryMessageRoundTrips() {
        let all: [SockJSRelayMessage] = [
            .attach(session: "sockjs:/ws/abc", kind: .xhrStreaming, from: "node2", receiver: 7),
            .attach(session: "sockjs:/ws/abc", kind: .jsonpPolling(callback: "cb_1"), from: "node2", receiver: UInt64.max),
            .detach(session: "sockjs:/ws/abc", from: "node2", receiver: 7),
            .frames(receiver: 7, bytes: Array("a[\"MESSAGE\\n\\u0000\"]\n".utf8)),
            .end(receiver: 7, found: false),
            .send(session: "sockjs:/ws/abc", messages: ["CONNECT\n\n\u{0}", "é \"quoted\""], from: "node3", request: 9),
            .sent(request: 9, found: true),
        ]
        for message in all {
            XCTAssertEqual(SockJSRelayMessage(message.encoded), message)
        }
    }

    func testOtherControlMessagesAndMalformedRelaysAreNotRelays() {
        XCTAssertNil(SockJSRelayMessage(Array(#"{"op":"disconnect","reason":"x","user":"bob"}"#.utf8)))
        XCTAssertNil(SockJSRelayMessage(Array(#"{"op":"sockjs.end","receiver":"7"}"#.utf8)), "found is required")
        XCTAssertNil(SockJSRelayMessage(Array(#"{"op":"sockjs.frames","receiver":"-1","bytes":""}"#.utf8)))
        XCTAssertNil(SockJSRelayMessage(Array("not json".utf8)))
    }

    func testARelayedCallbackIsCheckedAgainAndWebSocketIsNeverRelayed() {
        XCTAssertNil(SockJSRelayMessage(Array(#"{"op":"sockjs.attach","session":"s","from":"n","receiver":"1","transport":"jsonp","callback":"alert(1)"}"#.utf8)))
        XCTAssertNil(SockJSRelayMessage(Array(#"{"op":"sockjs.attach","session":"s","from":"n","receiver":"1","transport":"websocket"}"#.utf8)))
    }

    func testSessionNamesCarryTheEndpointPathAndTheSessionID() {
        let key = SockJSServer.SessionKey(prefix: "/ws/chat", session: "a1b2")
        XCTAssertEqual(key.name, "sockjs:/ws/chat/a1b2")
        XCTAssertEqual(SockJSServer.SessionKey(name: key.name), key)
        XCTAssertNil(SockJSServer.SessionKey(name: "other:/ws/x"))
    }
}
