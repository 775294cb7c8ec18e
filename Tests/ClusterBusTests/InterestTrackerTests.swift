import ClusterBus
import XCTest

final class InterestTrackerTests: XCTestCase {
    func testOnlyTheFirstSubscriberAnnouncesTheInterest() {
        var tracker = InterestTracker(graceMilliseconds: 1_000)
        XCTAssertTrue(tracker.add(.destination("/topic/a")))
        XCTAssertFalse(tracker.add(.destination("/topic/a")))
        XCTAssertEqual(tracker.count(.destination("/topic/a")), 2)
    }

    func testLastSubscriberWithdrawsOnlyAfterTheGracePeriod() {
        var tracker = InterestTracker(graceMilliseconds: 1_000)
        _ = tracker.add(.user("alice"))
        XCTAssertFalse(tracker.remove(.user("alice"), now: 10))
        XCTAssertEqual(tracker.expire(now: 1_009), [])
        XCTAssertEqual(tracker.expire(now: 1_010), [.user("alice")])
        XCTAssertEqual(tracker.expire(now: 5_000), [], "expired exactly once")
    }

    func testResubscribingWithinTheGracePeriodCausesNoClusterTraffic() {
        var tracker = InterestTracker(graceMilliseconds: 1_000)
        _ = tracker.add(.pattern("/topic/a.*"))
        _ = tracker.remove(.pattern("/topic/a.*"), now: 0)
        XCTAssertFalse(tracker.add(.pattern("/topic/a.*")), "still held: no announce")
        XCTAssertEqual(tracker.expire(now: 10_000), [], "re-checked at expiry: in use again")
    }

    func testZeroGraceWithdrawsAtOnce() {
        var tracker = InterestTracker(graceMilliseconds: 0)
        _ = tracker.add(.destination("/topic/a"))
        XCTAssertTrue(tracker.remove(.destination("/topic/a"), now: 0))
    }

    func testHeldIncludesInterestsInGrace() {
        var tracker = InterestTracker(graceMilliseconds: 100)
        _ = tracker.add(.destination("/topic/a"))
        _ = tracker.add(.destination("/topic/b"))
        _ = tracker.remove(.destination("/topic/b"), now: 0)
        XCTAssertEqual(Set(tracker.held), [.destination("/topic/a"), .destination("/topic/b")])
        XCTAssertEqual(tracker.active, [.destination("/topic/a"): 1])
    }
}
