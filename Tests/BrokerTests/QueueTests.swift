import Broker
import Router
import XCTest

final class QueueTests: XCTestCase {
    func testEachMessageGoesToOneSubscriptionRoundRobinAcrossThree() throws {
        var broker = LocalBroker()
        for session in SessionID(1)...3 { try broker.sub(session, "q", "/queue/work") }
        var received: [String] = []
        for n in 1...9 { received += summaries(try broker.send("/queue/work", "\(n)")) }
        XCTAssertEqual(received, ["1/q:1", "2/q:2", "3/q:3", "1/q:4", "2/q:5", "3/q:6", "1/q:7", "2/q:8", "3/q:9"])
    }

    func testQueueDeliveryShowsTheQueueAndAutoAckHasNoAckID() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a")
        let delivery = try XCTUnwrap(try broker.send("/queue/a", "x").first)
        XCTAssertEqual(delivery.destination, "/queue/a")
        XCTAssertNil(delivery.ackID)
        XCTAssertFalse(delivery.redelivered)
    }

    func testPrefetchBlocksAndAckReleasesInFifoOrder() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual, prefetch: 2)
        let delivered = try (1...4).flatMap { n throws(BrokerError) in try broker.send("/queue/a", "\(n)") }
        XCTAssertEqual(summaries(delivered), ["1/q:1", "1/q:2"])
        XCTAssertEqual(broker.stats.queuedMessages, 2)
        XCTAssertEqual(summaries(try broker.ack(session: 1, ackID: delivered[1].ackID!)), ["1/q:3"])
        XCTAssertEqual(broker.stats.queuedMessages, 1)
    }

    func testDefaultPrefetchAppliesWhenTheHeaderIsAbsentAndTheHeaderWins() throws {
        var broker = LocalBroker(limits: BrokerLimits(defaultPrefetch: 1))
        try broker.sub(1, "default", "/queue/a", ack: .client)
        try broker.sub(2, "header", "/queue/b", ack: .client, prefetch: 3)
        XCTAssertEqual(try (1...3).map { _ throws(BrokerError) in try broker.send("/queue/a").count }, [1, 0, 0])
        XCTAssertEqual(try (1...4).map { _ throws(BrokerError) in try broker.send("/queue/b").count }, [1, 1, 1, 0])
    }

    func testMaxUnackedCapsAQueueSubscriptionWithoutPrefetchAtLimitAndBeyond() throws {
        var broker = LocalBroker(limits: BrokerLimits(maxUnackedPerSubscription: 3))
        try broker.sub(1, "q", "/queue/a", ack: .client)
        XCTAssertEqual(try (1...4).map { _ throws(BrokerError) in try broker.send("/queue/a").count }, [1, 1, 1, 0])
        XCTAssertEqual(broker.stats.unackedMessages, 3)
    }

    func testCumulativeAckCoversEarlierDeliveries() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        let delivered = try (1...3).flatMap { _ throws(BrokerError) in try broker.send("/queue/a") }
        _ = try broker.ack(session: 1, ackID: delivered[1].ackID!)
        XCTAssertEqual(broker.stats.unackedMessages, 1)
        assertThrows(.unknownAck(delivered[0].ackID!)) { () throws(BrokerError) in
            _ = try broker.ack(session: 1, ackID: delivered[0].ackID!)
        }
    }

    func testIndividualAckCoversOnlyItsDelivery() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual)
        let delivered = try (1...3).flatMap { _ throws(BrokerError) in try broker.send("/queue/a") }
        _ = try broker.ack(session: 1, ackID: delivered[1].ackID!)
        XCTAssertEqual(broker.stats.unackedMessages, 2)
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: delivered[0].ackID!))
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: delivered[2].ackID!))
        XCTAssertEqual(broker.stats.unackedMessages, 0)
    }

    func testNackRedeliversToAnotherSubscriptionFlagged() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual)
        try broker.sub(2, "q", "/queue/a", ack: .clientIndividual)
        let first = try XCTUnwrap(try broker.send("/queue/a", "m").first)
        XCTAssertEqual(first.subscription, key(1, "q"))
        let again = try broker.nack(session: 1, ackID: first.ackID!)
        XCTAssertEqual(summaries(again), ["2/q:m!"])
        XCTAssertTrue(again[0].publication === first.publication)
        XCTAssertNotEqual(again[0].ackID, first.ackID)
        XCTAssertEqual(broker.stats.redelivered, 1)
    }

    func testNackWithNoOtherRoomRequeuesAheadOfWaitingMessages() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual, prefetch: 1)
        try broker.sub(2, "q", "/queue/a", ack: .clientIndividual, prefetch: 1)
        let first = try broker.send("/queue/a", "1")
        try broker.send("/queue/a", "2")
        try broker.send("/queue/a", "3")  // waits: both are full
        XCTAssertEqual(summaries(try broker.nack(session: 1, ackID: first[0].ackID!)), ["1/q:1!"])
        XCTAssertEqual(broker.stats.queuedMessages, 1, "3 still waits behind the redelivered 1")
    }

    func testClientModeNackTakesBackEarlierDeliveriesInOrder() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        let delivered = try (1...3).flatMap { n throws(BrokerError) in try broker.send("/queue/a", "\(n)") }
        try broker.sub(2, "q", "/queue/a", ack: .auto)
        XCTAssertEqual(summaries(try broker.nack(session: 1, ackID: delivered[1].ackID!)), ["2/q:1!", "2/q:2!"])
        XCTAssertEqual(broker.stats.unackedMessages, 1)
    }

    func testUnsubscribeRedeliversUnackedToTheOthers() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        try broker.sub(2, "q", "/queue/a", ack: .client, prefetch: 1)
        _ = try (1...3).flatMap { n throws(BrokerError) in try broker.send("/queue/a", "\(n)") }  // 1:1 2:2 1:3
        XCTAssertEqual(summaries(try broker.unsubscribe(key(1, "q"))), [])
        XCTAssertEqual(broker.stats.queuedMessages, 2, "2 is full: back to the front of the buffer")
        XCTAssertEqual(summaries(try broker.sub(3, "q", "/queue/a")), ["3/q:1!", "3/q:3!"])
        XCTAssertEqual(broker.stats.queuedMessages, 0)
    }

    func testDisconnectRedeliversToAnotherSessionWithRedeliveredFlag() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual)
        try broker.sub(2, "q", "/queue/a", ack: .auto)
        try broker.send("/queue/a", "1")  // to session 1
        XCTAssertEqual(summaries(broker.disconnect(1)), ["2/q:1!"])
        XCTAssertEqual(broker.stats.unackedMessages, 0)
    }

    func testDisconnectNeverRedeliversToTheLeavingSessionsOtherSubscription() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/a", ack: .client)
        try broker.sub(1, "b", "/queue/a", ack: .auto)
        try broker.send("/queue/a", "1")  // to 1/a
        let moved = broker.disconnect(1)
        XCTAssertEqual(moved.count, 0)
        XCTAssertEqual(broker.stats.queuedMessages, 1)
        XCTAssertEqual(summaries(try broker.sub(2, "q", "/queue/a")), ["2/q:1!"])
    }

    func testMessagesStayPendingWhenTheLastSubscriberLeavesAndArriveInOrderOnSubscribe() throws {
        var broker = LocalBroker()
        try broker.send("/queue/a", "1")
        try broker.send("/queue/a", "2")
        XCTAssertEqual(broker.stats.queues, 1)
        try broker.sub(1, "q", "/queue/a", ack: .client, prefetch: 1)
        _ = try broker.unsubscribe(key(1, "q"))
        try broker.send("/queue/a", "3")
        XCTAssertEqual(summaries(try broker.sub(2, "q", "/queue/a")), ["2/q:1!", "2/q:2", "2/q:3"])
    }

    func testEmptyQueueWithoutSubscribersIsForgotten() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a")
        XCTAssertEqual(broker.stats.queues, 1)
        _ = try broker.unsubscribe(key(1, "q"))
        XCTAssertEqual(broker.stats.queues, 0)
    }

    func testDropOldestBufferAtCapacityAndBeyond() throws {
        var broker = LocalBroker(limits: BrokerLimits(queueBufferCapacity: 2, queueOverflow: .dropOldest))
        try broker.send("/queue/a", "1")
        try broker.send("/queue/a", "2")
        XCTAssertEqual(broker.stats.dropped, 0, "at capacity")
        try broker.send("/queue/a", "3")
        XCTAssertEqual(broker.stats.dropped, 1, "capacity + 1 drops the oldest")
        XCTAssertEqual(summaries(try broker.sub(1, "q", "/queue/a")), ["1/q:2", "1/q:3"])
    }

    func testRejectNewBufferAtCapacityAndBeyond() throws {
        var broker = LocalBroker(limits: BrokerLimits(queueBufferCapacity: 2, queueOverflow: .rejectNew))
        try broker.send("/queue/a", "1")
        try broker.send("/queue/a", "2")
        assertThrows(.queueFull("/queue/a")) { () throws(BrokerError) in try broker.send("/queue/a", "3") }
        XCTAssertEqual(broker.stats.rejected, 1)
        XCTAssertEqual(broker.stats.published, 2)
        XCTAssertEqual(summaries(try broker.sub(1, "q", "/queue/a")), ["1/q:1", "1/q:2"])
    }

    func testZeroCapacityRejectNewLeavesNoQueueBehind() throws {
        var broker = LocalBroker(limits: BrokerLimits(queueBufferCapacity: 0, queueOverflow: .rejectNew))
        assertThrows(.queueFull("/queue/a")) { () throws(BrokerError) in try broker.send("/queue/a") }
        XCTAssertEqual(broker.stats.queues, 0)
    }

    func testWildcardsAreRefusedForQueues() {
        var broker = LocalBroker()
        assertThrows(.wildcardNotAllowed("/queue/*")) { () throws(BrokerError) in try broker.sub(1, "q", "/queue/*") }
        assertThrows(.wildcardNotAllowed("/queue/a.#")) { () throws(BrokerError) in try broker.send("/queue/a.#") }
        XCTAssertEqual(broker.stats.subscriptions, 0)
    }
}
