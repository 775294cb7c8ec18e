import Broker
import STOMPWire
import XCTest

final class TopicTests: XCTestCase {
    func testEveryMatchingSubscriptionGetsTheSamePublication() throws {
        var broker = LocalBroker()
        try broker.sub(1, "exact", "/topic/prices.eur")
        try broker.sub(2, "star", "/topic/prices.*")
        try broker.sub(3, "hash", "/topic/#")
        try broker.sub(4, "other", "/topic/news")
        let header = STOMPHeader(name: "x-kind", value: "tick")
        let deliveries = try broker.publish(destination: "/topic/prices.eur", headers: [header], body: Array("1.09".utf8))
        XCTAssertEqual(summaries(deliveries), ["1/exact:1.09", "2/star:1.09", "3/hash:1.09"])
        XCTAssertTrue(deliveries.allSatisfy { $0.publication === deliveries[0].publication }, "one shared publication")
        XCTAssertTrue(deliveries.allSatisfy { $0.destination == "/topic/prices.eur" && $0.ackID == nil && !$0.redelivered })
        XCTAssertEqual(deliveries[0].publication.headers, [header])
    }

    func testWildcardsStarHashAndDoubleStarWithBothSeparators() throws {
        var broker = LocalBroker()
        try broker.sub(1, "star", "/topic/a.*")
        try broker.sub(1, "hash", "/topic/a/#")
        try broker.sub(1, "double", "/topic/**.z")
        XCTAssertEqual(summaries(try broker.send("/topic/a.b")), ["1/star:", "1/hash:"])
        XCTAssertEqual(summaries(try broker.send("/topic/a/b")), ["1/star:", "1/hash:"])
        XCTAssertEqual(summaries(try broker.send("/topic/a.b.c")), ["1/hash:"])
        XCTAssertEqual(summaries(try broker.send("/topic/a")), ["1/hash:"])
        XCTAssertEqual(summaries(try broker.send("/topic/a/b.z")), ["1/hash:", "1/double:"])
        XCTAssertEqual(summaries(try broker.send("/topic/z")), ["1/double:"])
        XCTAssertEqual(try broker.send("/topic/b.y").count, 0)
    }

    func testExactSubscriptionIsNotAPatternEvenWithStarInside() throws {
        var broker = LocalBroker()
        try broker.sub(1, "s", "/topic/a*")
        XCTAssertEqual(try broker.send("/topic/ab").count, 0)
        XCTAssertEqual(try broker.send("/topic/a*").count, 1)
    }

    func testUnsubscribedTopicStopsReceivingAndIndexForgetsIt() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/topic/#")
        try broker.sub(2, "b", "/topic/x")
        XCTAssertEqual(try broker.send("/topic/x").count, 2)
        XCTAssertEqual(try broker.unsubscribe(key(1, "a")).count, 0)
        XCTAssertEqual(summaries(try broker.send("/topic/x")), ["2/b:"])
        _ = try broker.unsubscribe(key(2, "b"))
        XCTAssertEqual(try broker.send("/topic/x").count, 0)
        XCTAssertEqual(broker.stats.topicPatterns, 0)
    }

    func testClientAckTopicDeliveriesCarryUniqueAckIDsAndAreNeverRedelivered() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/topic/t", ack: .client)
        try broker.sub(2, "b", "/topic/t", ack: .clientIndividual)
        let first = try broker.send("/topic/t", "1")
        let second = try broker.send("/topic/t", "2")
        let ids = (first + second).compactMap(\.ackID)
        XCTAssertEqual(Set(ids).count, 4)
        XCTAssertEqual(try broker.nack(session: 1, ackID: first[0].ackID!).count, 0, "topics never redeliver")
        XCTAssertEqual(try broker.ack(session: 2, ackID: second[1].ackID!).count, 0)
        XCTAssertEqual(broker.stats.unackedMessages, 2, "1's second and 2's first")
    }

    func testPrefetchDoesNotBlockTopicsButCapsTrackingOldestForgotten() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/topic/t", ack: .clientIndividual, prefetch: 2)
        let first = try broker.send("/topic/t", "1")
        let second = try broker.send("/topic/t", "2")
        XCTAssertEqual(broker.stats.unackedMessages, 2, "at the cap")
        let third = try broker.send("/topic/t", "3")
        XCTAssertEqual(third.count, 1, "delivered despite prefetch")
        XCTAssertEqual(broker.stats.unackedMessages, 2, "cap + 1 forgets the oldest")
        assertThrows(.unknownAck(first[0].ackID!)) { () throws(BrokerError) in
            _ = try broker.ack(session: 1, ackID: first[0].ackID!)
        }
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: second[0].ackID!))
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: third[0].ackID!))
    }

    func testMaxUnackedCapsTopicTrackingWhenPrefetchIsZero() throws {
        var broker = LocalBroker(limits: BrokerLimits(maxUnackedPerSubscription: 3))
        try broker.sub(1, "a", "/topic/t", ack: .client)
        for n in 1...3 { try broker.send("/topic/t", "\(n)") }
        XCTAssertEqual(broker.stats.unackedMessages, 3)
        try broker.send("/topic/t", "4")
        XCTAssertEqual(broker.stats.unackedMessages, 3)
    }

    func testTopicPatternsDoNotReachUserDestinations() throws {
        var broker = LocalBroker()
        try broker.sub(1, "all", "/topic/#")
        try broker.sub(1, "any", "/topic/**")
        try broker.sub(2, "mine", "/user/topic/x", user: "bob")
        XCTAssertEqual(summaries(try broker.send("/user/bob/topic/x")), ["2/mine:"])
    }

    func testPublishingToATopicNobodyWantsCostsNothingVisible() throws {
        var broker = LocalBroker()
        XCTAssertEqual(try broker.send("/topic/empty").count, 0)
        XCTAssertEqual(broker.stats.delivered, 0)
    }
}
