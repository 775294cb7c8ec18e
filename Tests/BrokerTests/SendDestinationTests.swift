import Broker
import XCTest

/// The table of SEND destinations parsed once (issue 13): kinds and routes as the string
/// scan gives them, bounded, and routing unchanged whether a destination is held or not.
final class SendDestinationTests: XCTestCase {
    func testKindsAndRoutesComeFromTheLongestPrefix() throws {
        var broker = LocalBroker(prefixes: DestinationPrefixes(topic: "/t/", queue: "/t/q/", user: "/user/"))
        let topic = try broker.sendDestination("/t/prices.eur")
        XCTAssertEqual(topic.kind, .topic)
        XCTAssertEqual(topic.route, .topic("/t/prices.eur", isPattern: false))
        let queue = try broker.sendDestination("/t/q/jobs")
        XCTAssertEqual(queue.kind, .queue)
        XCTAssertEqual(queue.route, .queue("/t/q/jobs"))
        let user = try broker.sendDestination("/user/alice/queue/inbox")
        XCTAssertEqual(user.kind, .user)
        XCTAssertEqual(user.route, .user("alice"))
        XCTAssertEqual(Set([topic.id, queue.id, user.id]).count, 3, "each destination has its own id")
    }

    func testSecondLookUpReturnsTheStoredDescriptor() throws {
        var broker = LocalBroker()
        let first = try broker.sendDestination("/queue/a")
        let second = try broker.sendDestination("/queue/a")
        XCTAssertEqual(first, second)
        XCTAssertEqual(broker.storedSendDestinationCount, 1)
        XCTAssertEqual(try broker.clusterRoute(ofSend: "/queue/a"), .queue("/queue/a"))
    }

    func testInvalidDestinationsAreRefusedEveryTimeAndNeverStored() {
        var broker = LocalBroker()
        for _ in 0..<2 {
            assertThrows(.wildcardNotAllowed("/topic/a.*")) { () throws(BrokerError) in _ = try broker.sendDestination("/topic/a.*") }
            assertThrows(.wildcardNotAllowed("/queue/#")) { () throws(BrokerError) in _ = try broker.sendDestination("/queue/#") }
            assertThrows(.unknownDestinationPrefix("/nowhere", validPrefixes: ["/topic/", "/queue/", "/user/"])) { () throws(BrokerError) in
                _ = try broker.sendDestination("/nowhere")
            }
        }
        XCTAssertEqual(broker.storedSendDestinationCount, 0)
    }

    func testTableIsBoundedAndEmptiesWhenFull() throws {
        var broker = LocalBroker(limits: BrokerLimits(destinationTableCapacity: 3))
        var ids: Set<UInt64> = []
        for index in 0..<10 {
            ids.insert(try broker.sendDestination("/topic/t\(index)").id)
            XCTAssertLessThanOrEqual(broker.storedSendDestinationCount, 3)
        }
        XCTAssertEqual(ids.count, 10, "ids are never reused, so caches keyed by them cannot mix destinations up")
        let again = try broker.sendDestination("/topic/t0")
        XCTAssertFalse(ids.contains(again.id), "a destination parsed again after the table emptied gets a new id")
        XCTAssertEqual(again.route, .topic("/topic/t0", isPattern: false))
    }

    func testCapacityZeroStoresNothingAndStillRoutes() throws {
        var broker = LocalBroker(limits: BrokerLimits(destinationTableCapacity: 0))
        try broker.sub(1, "s", "/topic/a.*")
        XCTAssertEqual(summaries(try broker.send("/topic/a.b", "x")), ["1/s:x"])
        XCTAssertEqual(broker.storedSendDestinationCount, 0)
    }

    /// The wildcard scenarios of TopicTests with a table that empties at every new destination
    /// and with one that holds them all: the same deliveries either way.
    func testWildcardMatchingIsTheSameWhetherDestinationsAreHeldOrNot() throws {
        for capacity in [1, 10_000] {
            var broker = LocalBroker(limits: BrokerLimits(destinationTableCapacity: capacity))
            try broker.sub(1, "star", "/topic/a.*")
            try broker.sub(1, "hash", "/topic/a/#")
            try broker.sub(1, "double", "/topic/**.z")
            for _ in 0..<2 {
                XCTAssertEqual(summaries(try broker.send("/topic/a.b")), ["1/star:", "1/hash:"])
                XCTAssertEqual(summaries(try broker.send("/topic/a/b")), ["1/star:", "1/hash:"])
                XCTAssertEqual(summaries(try broker.send("/topic/a.b.c")), ["1/hash:"])
                XCTAssertEqual(summaries(try broker.send("/topic/a")), ["1/hash:"])
                XCTAssertEqual(summaries(try broker.send("/topic/a/b.z")), ["1/hash:", "1/double:"])
                XCTAssertEqual(summaries(try broker.send("/topic/z")), ["1/double:"])
                XCTAssertEqual(try broker.send("/topic/b.y").count, 0)
            }
            try broker.sub(2, "late", "/topic/a.b")
            XCTAssertEqual(summaries(try broker.send("/topic/a.b")), ["2/late:", "1/star:", "1/hash:"],
                           "a subscription made after the destination was stored is reached")
        }
    }

    func testPublishingToADescriptorReachesQueueAndUserSubscribers() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/jobs")
        try broker.sub(2, "u", "/user/queue/inbox", user: "bob")
        let queue = try broker.sendDestination("/queue/jobs")
        XCTAssertEqual(summaries(try broker.publish(to: queue, headers: [], body: Array("j".utf8)).deliveries), ["1/q:j"])
        let user = try broker.sendDestination("/user/bob/queue/inbox")
        let deliveries = try broker.publish(to: user, headers: [], body: Array("hi".utf8)).deliveries
        XCTAssertEqual(summaries(deliveries), ["2/u:hi"])
        XCTAssertEqual(deliveries.first?.destination, "/user/queue/inbox")
    }
}
