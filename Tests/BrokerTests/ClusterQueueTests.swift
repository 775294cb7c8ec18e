import Broker
import STOMPWire
import XCTest

/// The broker's side of shared queues: messages enter from the cluster, and leave it (settled)
/// once delivered for good.
final class ClusterQueueTests: XCTestCase {
    private func entry(_ id: String, _ queue: String = "/queue/q", redelivered: Bool = false) -> Publication {
        Publication(destination: queue, headers: [], body: Array(id.utf8), messageID: "m-\(id)", clusterEntry: id, redelivered: redelivered)
    }

    func testAutoAckDeliverySettlesTheEntryAtOnce() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/q")
        XCTAssertEqual(summaries(broker.enqueueFromCluster(entry("1-0"))), ["1/a:1-0"])
        XCTAssertEqual(broker.takeSettledClusterEntries(), [SettledEntry(queue: "/queue/q", entry: "1-0")])
        XCTAssertEqual(broker.takeSettledClusterEntries(), [], "taken once")
    }

    func testClientAckSettlesOnlyWhenAcked() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/q", ack: .client)
        let delivered = broker.enqueueFromCluster(entry("1-0")) + broker.enqueueFromCluster(entry("2-0"))
        XCTAssertEqual(broker.takeSettledClusterEntries(), [])
        _ = try broker.ack(session: 1, ackID: delivered[1].ackID!)
        XCTAssertEqual(broker.takeSettledClusterEntries().map(\.entry), ["1-0", "2-0"], "cumulative ACK settles both")
    }

    func testLocalMessagesAreNeverReportedAsSettled() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/q")
        try broker.send("/queue/q", "local")
        XCTAssertEqual(broker.takeSettledClusterEntries(), [])
    }

    func testSpareCapacityFollowsConsumersAndPrefetch() throws {
        var broker = LocalBroker()
        XCTAssertEqual(broker.spareCapacity(ofQueue: "/queue/q"), 0, "no consumer, no room")
        try broker.sub(1, "a", "/queue/q", ack: .clientIndividual, prefetch: 2)
        try broker.sub(2, "b", "/queue/q", ack: .clientIndividual, prefetch: 3)
        XCTAssertEqual(broker.spareCapacity(ofQueue: "/queue/q"), 5)
        _ = broker.enqueueFromCluster(entry("1-0"))
        XCTAssertEqual(broker.spareCapacity(ofQueue: "/queue/q"), 4)
        try broker.sub(3, "c", "/queue/q")
        XCTAssertEqual(broker.spareCapacity(ofQueue: "/queue/q"), Int.max, "an auto-ack consumer always has room")
    }

    func testOrphanedMessagesAreHandedBackWhenTheLastConsumerLeaves() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/q", ack: .client)
        _ = broker.enqueueFromCluster(entry("1-0"))
        XCTAssertEqual(broker.takeOrphanedMessages(ofQueue: "/queue/q").count, 0, "still consumed here")
        _ = broker.disconnect(1)
        let orphans = broker.takeOrphanedMessages(ofQueue: "/queue/q")
        XCTAssertEqual(orphans.map(\.clusterEntry), ["1-0"], "the un-ACKed message goes back")
        XCTAssertFalse(broker.hasConsumers(ofQueue: "/queue/q"))
        XCTAssertEqual(broker.stats.queues, 0, "nothing left behind")
    }

    func testRedeliveredFlagOfTheClusterIsKept() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/q")
        let delivery = broker.enqueueFromCluster(entry("9-0", redelivered: true))
        XCTAssertTrue(delivery.first?.publication.redelivered ?? false)
    }

    func testRoutesOfSends() throws {
        let broker = LocalBroker()
        XCTAssertEqual(try broker.clusterRoute(ofSend: "/topic/a.b"), .topic("/topic/a.b", isPattern: false))
        XCTAssertEqual(try broker.clusterRoute(ofSend: "/queue/jobs"), .queue("/queue/jobs"))
        XCTAssertEqual(try broker.clusterRoute(ofSend: "/user/alice/queue/inbox"), .user("alice"))
        XCTAssertThrowsError(try broker.clusterRoute(ofSend: "/topic/a.*"))
        XCTAssertThrowsError(try broker.clusterRoute(ofSend: "/elsewhere/x"))
    }

    func testRoutesOfSubscriptions() throws {
        var broker = LocalBroker()
        try broker.sub(1, "t", "/topic/a.*")
        try broker.sub(1, "q", "/queue/q")
        try broker.sub(1, "u", "/user/queue/inbox", user: "bob")
        XCTAssertEqual(broker.clusterRoute(ofSubscription: key(1, "t"), user: "bob"), .topic("/topic/a.*", isPattern: true))
        XCTAssertEqual(broker.clusterRoute(ofSubscription: key(1, "q"), user: "bob"), .queue("/queue/q"))
        XCTAssertEqual(broker.clusterRoute(ofSubscription: key(1, "u"), user: "bob"), .user("bob"))
        XCTAssertNil(broker.clusterRoute(ofSubscription: key(1, "nope"), user: "bob"))
    }

    func testTopicSubscriberCountsForTheAdminView() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/topic/x")
        try broker.sub(2, "b", "/topic/x")
        try broker.sub(2, "c", "/topic/y.#")
        XCTAssertEqual(broker.topicSubscriberCounts, ["/topic/x": 2, "/topic/y.#": 1])
    }
}
