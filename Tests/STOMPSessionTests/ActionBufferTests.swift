import Broker
import STOMPSession
import STOMPWire
import XCTest

/// `receive(_:authenticator:now:into:)`: the node hands one array to every frame (issue 13),
/// so the actions must be appended after what is there, and be the ones `receive` returns.
final class ActionBufferTests: XCTestCase {
    private let marker = SessionAction.sendHeartBeat

    private func receiveInto(_ h: inout SessionHarness, _ command: STOMPCommand, _ headers: [(String, String)]) -> [SessionAction] {
        var actions = [marker]
        h.session.receive(STOMPFrame(command, headers: headers), authenticator: h.authenticator, now: h.now, into: &actions)
        return actions
    }

    func testASendsActionsAreAppendedAfterWhatTheArrayHolds() {
        var h = SessionHarness()
        h.connect()
        let actions = receiveInto(&h, .SEND, [("destination", "/queue/a"), ("receipt", "r1"), ("x-a", "1")])
        XCTAssertEqual(actions, [
            marker,
            .perform(.send(destination: "/queue/a", headers: [STOMPHeader(name: "x-a", value: "1")], body: []), receipt: "r1"),
            .send(STOMPFrame(.RECEIPT, headers: [("receipt-id", "r1")])),
        ])
    }

    func testEveryOtherFrameAppendsWhatReceiveReturns() {
        var into = SessionHarness(), returned = SessionHarness()
        XCTAssertEqual(receiveInto(&into, .CONNECT, [("accept-version", "1.2"), ("host", "/")]),
                       [marker] + returned.connect())
        let subscribe = [("destination", "/queue/a"), ("id", "s1"), ("receipt", "r2")]
        XCTAssertEqual(receiveInto(&into, .SUBSCRIBE, subscribe), [marker] + returned.receive(.SUBSCRIBE, subscribe))
        XCTAssertEqual(receiveInto(&into, .SEND, [("transaction", "t-unknown"), ("destination", "/queue/a")]),
                       [marker] + returned.receive(.SEND, [("transaction", "t-unknown"), ("destination", "/queue/a")]),
                       "a SEND refused for its transaction ends the session the same way")
        XCTAssertEqual(into.session.state, returned.session.state)
    }

    func testASendBeforeConnectIsRefusedAsWithReceive() {
        var into = SessionHarness(), returned = SessionHarness()
        XCTAssertEqual(receiveInto(&into, .SEND, [("destination", "/queue/a")]),
                       [marker] + returned.receive(.SEND, [("destination", "/queue/a")]))
    }
}
