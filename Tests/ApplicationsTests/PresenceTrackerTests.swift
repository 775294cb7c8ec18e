import XCTest
import Applications

final class PresenceTrackerTests: XCTestCase {
    func testOnlyWatchedExactDestinationsCountAndCompanionsNever() {
        var tracker = PresenceTracker(watched: ["/topic/room.*", "/topic/lobby"], suffix: ".presence")
        XCTAssertTrue(tracker.watches("/topic/room.1"))
        XCTAssertTrue(tracker.watches("/topic/lobby"))
        XCTAssertFalse(tracker.watches("/topic/other"))
        XCTAssertFalse(tracker.watches("/topic/room.*"), "a wildcard subscription is nobody's presence")
        XCTAssertFalse(tracker.watches("/topic/lobby.presence"))
        XCTAssertEqual(tracker.companion(of: "/topic/room.1"), "/topic/room.1.presence")
        var off = PresenceTracker(watched: [], suffix: ".presence")
        XCTAssertFalse(off.watches("/topic/lobby"))
    }

    func testAUserJoinsAtTheFirstSubscriptionHereAndLeavesAtTheLast() {
        var tracker = PresenceTracker(watched: ["/topic/#"], suffix: ".presence")
        let alice = PresenceTracker.Member(destination: "/topic/a", user: "alice")
        XCTAssertTrue(tracker.add(alice))
        XCTAssertFalse(tracker.add(alice))
        XCTAssertTrue(tracker.add(.init(destination: "/topic/a", user: "bob")))
        XCTAssertEqual(tracker.users(in: "/topic/a"), ["alice", "bob"])
        XCTAssertFalse(tracker.remove(alice))
        XCTAssertTrue(tracker.remove(alice))
        XCTAssertFalse(tracker.remove(alice), "not present: nothing to leave")
        XCTAssertEqual(tracker.users(in: "/topic/a"), ["bob"])
    }

    func testEventBodiesAreJSONWithEscapedNames() {
        XCTAssertEqual(String(decoding: PresenceTracker.eventBody(joined: true, user: "a\"b\u{1}", destination: "/topic/x"), as: UTF8.self),
                       #"{"event":"join","user":"a\"b\u0001","destination":"/topic/x"}"#)
        XCTAssertEqual(String(decoding: PresenceTracker.eventBody(joined: false, user: "bob", destination: "/t"), as: UTF8.self),
                       #"{"event":"leave","user":"bob","destination":"/t"}"#)
    }
}
