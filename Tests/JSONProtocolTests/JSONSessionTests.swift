import JSONProtocol
import JSONMessages
import STOMPWire
import XCTest

final class JSONSessionTests: XCTestCase {
    let settings = JSONProtocolSettings()

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func json(_ action: JSONAction?) -> JSONValue? {
        guard case .send(let text)? = action else { return nil }
        return try? JSONValue.parse(text)
    }

    func errorCode(_ actions: [JSONAction]) -> String? {
        guard case .object(let fields)? = json(actions.first), fields["type"] == .string("error"), case .string(let code)? = fields["code"] else { return nil }
        return code
    }

    func testStartSubscribesTheUsersDirectMessagesAndBroadcastsAndWelcomes() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        let actions = session.start(session: "s1")
        XCTAssertEqual(Array(actions.prefix(2)), [
            .subscribe(id: "user", destination: "/user/queue/messages"),
            .subscribe(id: "broadcast", destination: "/topic/broadcast"),
        ])
        XCTAssertEqual(json(actions.last), .object(["type": .string("welcome"), "user_id": .string("alice"), "session_id": .string("s1")]))
    }

    func testAnAnonymousSessionHasNoDirectMessages() {
        var session = JSONSession(settings: settings, user: nil, now: 0)
        XCTAssertFalse(session.start(session: "s1").contains(.subscribe(id: "user", destination: "/user/queue/messages")))
    }

    func testJoinSubscribesTheRoomTopicAndItsPresenceAndAnswersJoined() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        let actions = session.receive(bytes(#"{"type":"join","room":"lobby"}"#), now: 1)
        XCTAssertEqual(Array(actions.prefix(2)), [
            .subscribe(id: "room:lobby", destination: "/topic/room.lobby"),
            .subscribe(id: "presence:lobby", destination: "/topic/room.lobby.presence"),
        ])
        XCTAssertEqual(json(actions.last), .object(["type": .string("joined"), "room": .string("lobby")]))
        XCTAssertEqual(session.rooms, ["lobby"])
        XCTAssertEqual(session.receive(bytes(#"{"type":"join","room":"lobby"}"#), now: 2).count, 1, "joining twice subscribes once")
    }

    func testLeaveUnsubscribesAndLeavingARoomNotJoinedIsAnError() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        _ = session.receive(bytes(#"{"type":"join","room":"lobby"}"#), now: 1)
        let actions = session.receive(bytes(#"{"type":"leave","room":"lobby"}"#), now: 2)
        XCTAssertEqual(Array(actions.prefix(2)), [.unsubscribe(id: "room:lobby"), .unsubscribe(id: "presence:lobby")])
        XCTAssertEqual(json(actions.last), .object(["type": .string("left"), "room": .string("lobby")]))
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"leave","room":"lobby"}"#), now: 3)), "not_in_room")
    }

    func testAChatToAUserIsPublishedOnTheirDirectDestinationWithTypeAndTextContent() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        let actions = session.receive(bytes(#"{"type":"chat","to":"user456","content":"Hello!"}"#), now: 1)
        XCTAssertEqual(actions, [.publish(destination: "/user/user456/queue/messages", headers: [
            STOMPHeader(name: "json-type", value: "chat"), STOMPHeader(name: "content-type", value: "text/plain;charset=utf-8"),
        ], body: bytes("Hello!"))])
    }

    func testARoomMessageCarriesObjectContentAsJSONAndExtraFieldsInAHeaderButNeverTheClientsFrom() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        let actions = session.receive(bytes(#"{"type":"chat","room":"lobby","from":"mallory","user":"Alice","content":{"text":"hi"}}"#), now: 1)
        XCTAssertEqual(actions, [.publish(destination: "/topic/room.lobby", headers: [
            STOMPHeader(name: "json-type", value: "chat"), STOMPHeader(name: "content-type", value: "application/json"),
            STOMPHeader(name: "json-fields", value: #"{"user":"Alice"}"#),
        ], body: bytes(#"{"text":"hi"}"#))])
    }

    func testAMessageWithNeitherRoomNorUserIsABroadcastUnlessBroadcastsAreOff() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        guard case .publish(let destination, _, _)? = session.receive(bytes(#"{"type":"chat","to":"","content":"all"}"#), now: 1).first else { return XCTFail() }
        XCTAssertEqual(destination, "/topic/broadcast")
        var off = settings
        off.broadcastDestination = ""
        var closed = JSONSession(settings: off, user: "alice", now: 0)
        XCTAssertEqual(errorCode(closed.receive(bytes(#"{"type":"chat","content":"all"}"#), now: 1)), "bad_message")
    }

    func testPingIsAnsweredWithPongAndPongIsQuiet() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        XCTAssertEqual(json(session.receive(bytes(#"{"type":"ping"}"#), now: 1).first), .object(["type": .string("pong")]))
        XCTAssertEqual(session.receive(bytes(#"{"type":"pong"}"#), now: 1), [])
    }

    func testMalformedJSONUnknownTypesBadNamesAndOversizedMessagesAreErrors() {
        var limited = settings
        limited.allowedTypes = ["chat"]
        limited.maxMessageBytes = 64
        limited.maxOffences = 10
        var session = JSONSession(settings: limited, user: "alice", now: 0)
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"chat""#), now: 1)), "malformed_json")
        XCTAssertEqual(errorCode(session.receive(bytes(#"[1,2]"#), now: 1)), "bad_message")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"content":"x"}"#), now: 1)), "bad_message")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"dance","room":"a"}"#), now: 1)), "unknown_type")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"chat","room":"a/b"}"#), now: 1)), "bad_name")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"chat","room":"a.*"}"#), now: 1)), "bad_name")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"chat","room":7}"#), now: 1)), "bad_message")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"chat","room":"a","to":"b"}"#), now: 1)), "bad_message")
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"join"}"#), now: 1)), "bad_message")
        XCTAssertEqual(errorCode(session.receive(Array(repeating: 0x20, count: 65), now: 1)), "too_big")
        XCTAssertEqual(session.offences, 10)
        XCTAssertTrue(session.isClosed)
    }

    func testRepeatedOffencesCloseWithPolicyViolation() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        for _ in 1..<settings.maxOffences {
            XCTAssertEqual(session.receive(bytes("nope"), now: 1).count, 1)
        }
        let last = session.receive(bytes("nope"), now: 1)
        XCTAssertEqual(errorCode(last), "malformed_json")
        XCTAssertEqual(last.last, .close(code: 1008, reason: "malformed_json"))
        XCTAssertEqual(session.receive(bytes(#"{"type":"ping"}"#), now: 2), [], "nothing after the close")
    }

    func testARepeatedlyOversizedClientIsClosedWith1009() {
        var limited = settings
        limited.maxMessageBytes = 4
        limited.maxOffences = 1
        var session = JSONSession(settings: limited, user: nil, now: 0)
        XCTAssertEqual(session.receive(bytes("123456"), now: 0).last, .close(code: 1009, reason: "too_big"))
    }

    func testBinaryMessagesCloseWith1003AndRefusalsWith1008() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        XCTAssertEqual(session.receiveBinary(now: 1).last, .close(code: 1003, reason: "binary_unsupported"))
        var other = JSONSession(settings: settings, user: "alice", now: 0)
        let refused = other.refused("Access denied: may not subscribe '/topic/room.vip'")
        XCTAssertEqual(errorCode(refused), "refused")
        XCTAssertEqual(refused.last, .close(code: 1008, reason: "refused"))
    }

    func testTooManyRoomsIsAnError() {
        var limited = settings
        limited.maxRooms = 1
        var session = JSONSession(settings: limited, user: "alice", now: 0)
        _ = session.receive(bytes(#"{"type":"join","room":"a"}"#), now: 1)
        XCTAssertEqual(errorCode(session.receive(bytes(#"{"type":"join","room":"b"}"#), now: 1)), "too_many_rooms")
    }

    func testServerPingsAfterTheIntervalAndClosesWithoutInputByTheDeadline() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        XCTAssertEqual(session.tick(now: 53_999), [])
        XCTAssertEqual(session.tick(now: 54_000), [.ping])
        XCTAssertEqual(session.tick(now: 55_000), [], "one ping per interval")
        XCTAssertEqual(session.tick(now: 60_000), [.close(code: 1008, reason: "no pong in time")])
    }

    func testAnyInputPushesThePingAndTheDeadlineBack() {
        var session = JSONSession(settings: settings, user: "alice", now: 0)
        XCTAssertEqual(session.tick(now: 54_000), [.ping])
        session.noteInput(now: 54_010)  // the pong
        XCTAssertEqual(session.tick(now: 60_000), [])
        XCTAssertEqual(session.tick(now: 108_010), [.ping])
        XCTAssertEqual(session.tick(now: 114_009), [])
    }

    func testFieldNamesAreConfigurable() {
        var renamed = settings
        renamed.typeField = "kind"
        renamed.roomField = "channel"
        renamed.contentField = "body"
        var session = JSONSession(settings: renamed, user: "alice", now: 0)
        XCTAssertEqual(session.receive(bytes(#"{"kind":"say","channel":"c","body":"x"}"#), now: 1).count, 1)
        XCTAssertEqual(json(session.receive(bytes(#"{"kind":"ping"}"#), now: 1).first), .object(["kind": .string("pong")]))
    }
}

final class JSONMessageEncoderTests: XCTestCase {
    let settings = JSONProtocolSettings()

    func decode(_ bytes: [UInt8]) -> JSONValue? { try? JSONValue.parse(bytes) }

    func testARoomMessageShowsRoomBrokerSetSenderTypeContentAndExtraFields() {
        let out = JSONMessageEncoder.encode(destination: "/topic/room.lobby", headers: [
            STOMPHeader(name: "json-type", value: "chat"), STOMPHeader(name: "content-type", value: "application/json"),
            STOMPHeader(name: "user-id", value: "alice"), STOMPHeader(name: "json-fields", value: #"{"timestamp":5,"from":"mallory"}"#),
        ], body: Array(#"{"text":"hi"}"#.utf8), recipient: "bob", settings: settings)
        XCTAssertEqual(decode(out), .object([
            "type": .string("chat"), "room": .string("lobby"), "from": .string("alice"),
            "content": .object(["text": .string("hi")]), "timestamp": .integer(5),
        ]))
    }

    func testADirectMessageNamesTheRecipientAndAStompMessageWithoutTypeGetsTheDefault() {
        let out = JSONMessageEncoder.encode(destination: "/user/queue/messages", headers: [], body: Array("plain".utf8), recipient: "bob", settings: settings)
        XCTAssertEqual(decode(out), .object(["type": .string("message"), "to": .string("bob"), "content": .string("plain")]))
    }

    func testNonUTF8BodiesAreBase64AndBadJSONBodiesAreText() {
        let binary = JSONMessageEncoder.encode(destination: "/topic/broadcast", headers: [], body: [0xFF, 0x00], recipient: nil, settings: settings)
        XCTAssertEqual(decode(binary), .object(["type": .string("message"), "content": .string("/wA=")]))
        let text = JSONMessageEncoder.encode(destination: "/topic/broadcast", headers: [STOMPHeader(name: "content-type", value: "application/json")],
                                             body: Array("{oops".utf8), recipient: nil, settings: settings)
        XCTAssertEqual(decode(text), .object(["type": .string("message"), "content": .string("{oops")]))
    }

    func testAPresenceEventBecomesAPresenceMessageOfTheRoom() {
        let out = JSONMessageEncoder.encode(destination: "/topic/room.lobby.presence", headers: [
            STOMPHeader(name: "content-type", value: "application/json"), STOMPHeader(name: "presence-event", value: "join"),
        ], body: Array(#"{"event":"join","user":"bob"}"#.utf8), recipient: "alice", settings: settings)
        XCTAssertEqual(decode(out), .object([
            "type": .string("presence"), "room": .string("lobby"),
            "content": .object(["event": .string("join"), "user": .string("bob")]),
        ]))
    }
}
