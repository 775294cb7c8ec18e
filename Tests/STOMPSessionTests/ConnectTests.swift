import Broker
import STOMPSession
import STOMPWire
import XCTest

final class ConnectTests: XCTestCase {
    func testConnectNegotiatesHighestCommonVersionAndAnswersConnected() {
        var h = SessionHarness()
        let reply = frames(h.connect([("accept-version", "1.0,1.1"), ("host", "x")]))
        XCTAssertEqual(reply.first?.command, .CONNECTED)
        XCTAssertEqual(reply.first?["version"], "1.1")
        XCTAssertEqual(reply.first?["session"], "7")
        XCTAssertEqual(reply.first?["heart-beat"], "10000,10000")
        XCTAssertNotNil(reply.first?["server"])
        XCTAssertEqual(h.session.version, .v1_1)
        XCTAssertEqual(h.session.state, .connected)
    }

    func testConnectWithoutAcceptVersionIsStomp10() {
        var h = SessionHarness()
        XCTAssertEqual(frames(h.connect([])).first?["version"], "1.0")
    }

    func testStompFrameIsAcceptedLikeConnect() {
        var h = SessionHarness()
        XCTAssertEqual(frames(h.receive(.STOMP, [("accept-version", "1.2"), ("host", "x")])).first?.command, .CONNECTED)
    }

    func testNoCommonVersionIsAnErrorListingSupportedVersions() {
        var h = SessionHarness()
        let actions = h.connect([("accept-version", "2.0")])
        assertError(actions, contains: "1.0,1.1,1.2")
        XCTAssertEqual(frames(actions).first?["version"], "1.0,1.1,1.2")
        XCTAssertEqual(h.session.state, .closed)
    }

    func testFrameBeforeConnectIsAnError() {
        var h = SessionHarness()
        assertError(h.receive(.SEND, [("destination", "/topic/a"), ("receipt", "r1")]), contains: "expected CONNECT", receipt: "r1")
    }

    func testSecondConnectIsAnError() {
        var h = SessionHarness()
        h.connect()
        assertError(h.connect(), contains: "already connected")
    }

    func testMalformedHeartBeatHeaderIsAnError() {
        var h = SessionHarness()
        assertError(h.connect([("accept-version", "1.2"), ("heart-beat", "soon")]), contains: "heart-beat")
    }

    func testLoginBecomesTheSessionUser() {
        var h = SessionHarness()
        let reply = frames(h.connect([("accept-version", "1.2"), ("login", "alice"), ("passcode", "x")]))
        XCTAssertEqual(h.session.user, "alice")
        XCTAssertEqual(h.session.principal, "alice")
        XCTAssertEqual(reply.first?["user-name"], "alice")
    }

    func testAnonymousPrincipalCannotCollideWithALogin() {
        var h = SessionHarness()
        h.connect()
        XCTAssertNil(h.session.user)
        XCTAssertEqual(h.session.principal, "anonymous-7")
    }

    func testUsersListRejectsWrongPasscode() {
        var h = SessionHarness()
        h.authenticator = UsersListAuthenticator(passcodes: ["alice": "secret"])
        assertError(h.connect([("accept-version", "1.2"), ("login", "alice"), ("passcode", "guess")]), contains: "authentication failed")
    }

    func testUsersListAcceptsRightPasscode() {
        var h = SessionHarness()
        h.authenticator = UsersListAuthenticator(passcodes: ["alice": "secret"])
        XCTAssertEqual(frames(h.connect([("accept-version", "1.2"), ("login", "alice"), ("passcode", "secret")])).first?.command, .CONNECTED)
    }

    func testUsersListRefusesAnonymousUnlessAllowed() {
        var strict = SessionHarness()
        strict.authenticator = UsersListAuthenticator(passcodes: ["alice": "secret"])
        assertError(strict.connect(), contains: "login required")
        var lenient = SessionHarness()
        lenient.authenticator = UsersListAuthenticator(passcodes: ["alice": "secret"], allowAnonymous: true)
        XCTAssertEqual(frames(lenient.connect()).first?.command, .CONNECTED)
    }

    func testFramesAfterAnErrorAreIgnored() {
        var h = SessionHarness()
        _ = h.receive(.SEND, [("destination", "/topic/a")])
        XCTAssertEqual(h.connect(), [])
    }

    func testServerFramesFromTheClientAreAnError() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.MESSAGE, [("receipt", "9")]), contains: "server frame", receipt: "9")
    }
}

final class IdentityTests: XCTestCase {
    func testConnectStoresTheAuthenticatorsIdentityWithTheEndpoint() {
        var session = STOMPSession(id: 3, endpoint: "chat", now: 0)
        let frame = STOMPFrame(.CONNECT, headers: [("accept-version", "1.2"), ("login", "alice")])
        _ = session.receive(frame, authenticator: AllowAllAuthenticator(), now: 0)
        XCTAssertEqual(session.identity, Identity(user: "alice", endpoint: "chat"))
        XCTAssertEqual(session.principal, "alice")
    }

    func testAnonymousIdentityHasNoUserAndASessionPrincipal() {
        var session = STOMPSession(id: 3, endpoint: "chat", now: 0)
        _ = session.receive(STOMPFrame(.CONNECT, headers: [("accept-version", "1.2")]), authenticator: AllowAllAuthenticator(), now: 0)
        XCTAssertEqual(session.identity?.isAnonymous, true)
        XCTAssertEqual(session.identity?.principal, "anonymous-3")
        XCTAssertEqual(session.identity?.endpoint, "chat")
    }

    func testNoIdentityBeforeConnect() {
        XCTAssertNil(STOMPSession(id: 1, now: 0).identity)
    }
}
