import Broker
import Router
import XCTest

/// The broker remembers where the last SEND's queue is (`QueueTable`, issue 13). These
/// scenarios change the queues between SENDs in every way that could leave that stale.
final class QueueSlotTests: XCTestCase {
    func testSendsAlternatingBetweenQueuesReachTheirOwnConsumers() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/a")
        try broker.sub(2, "b", "/queue/b")
        var received: [String] = []
        for n in 1...3 {
            received += summaries(try broker.send("/queue/a", "a\(n)"))
            received += summaries(try broker.send("/queue/a", "a\(n)'"))
            received += summaries(try broker.send("/queue/b", "b\(n)"))
        }
        XCTAssertEqual(received, ["1/a:a1", "1/a:a1'", "2/b:b1", "1/a:a2", "1/a:a2'", "2/b:b2", "1/a:a3", "1/a:a3'", "2/b:b3"])
    }

    func testAQueueRemovedAndMadeAgainGetsTheNextSend() throws {
        var broker = LocalBroker()
        try broker.sub(1, "first", "/queue/a")
        XCTAssertEqual(summaries(try broker.send("/queue/a", "1")), ["1/first:1"])
        _ = try broker.unsubscribe(SubscriptionKey(session: 1, id: "first"))
        XCTAssertEqual(broker.stats.queues, 0, "an idle queue is removed")
        try broker.sub(2, "second", "/queue/a")
        XCTAssertEqual(summaries(try broker.send("/queue/a", "2")), ["2/second:2"])
    }

    func testManyQueuesMadeBetweenTwoSendsDoNotMisdirectTheSecond() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/queue/a")
        XCTAssertEqual(summaries(try broker.send("/queue/a", "1")), ["1/a:1"])
        // Enough new queues to grow and rehash the table.
        for n in 0..<200 { try broker.sub(SessionID(100 + n), "q", "/queue/other-\(n)") }
        XCTAssertEqual(summaries(try broker.send("/queue/a", "2")), ["1/a:2"])
        XCTAssertEqual(summaries(try broker.send("/queue/other-7", "3")), ["107/q:3"])
    }

    func testAMessageBufferedWithoutConsumersWaitsInTheRememberedQueue() throws {
        var broker = LocalBroker()
        XCTAssertEqual(try broker.send("/queue/a", "1").count, 0)
        XCTAssertEqual(try broker.send("/queue/a", "2").count, 0)
        XCTAssertEqual(broker.stats.queuedMessages, 2)
        XCTAssertEqual(summaries(try broker.sub(1, "late", "/queue/a")), ["1/late:1", "1/late:2"])
    }

    func testAQueueDeliveryHoldsNoCopyOfTheDestination() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a")
        let delivery = try XCTUnwrap(try broker.send("/queue/a", "x").first)
        XCTAssertNil(delivery.shownDestination)
        XCTAssertEqual(delivery.destination, "/queue/a")
    }
}
