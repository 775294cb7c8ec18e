import Broker
import XCTest

final class AckTests: XCTestCase {
    func testAckFromAnotherSessionIsUnknown() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        let ackID = try XCTUnwrap(try broker.send("/queue/a").first?.ackID)
        assertThrows(.unknownAck(ackID)) { () throws(BrokerError) in _ = try broker.ack(session: 2, ackID: ackID) }
        assertThrows(.unknownAck(ackID)) { () throws(BrokerError) in _ = try broker.nack(session: 2, ackID: ackID) }
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: ackID))
    }

    func testMalformedAckIDsAreUnknown() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        _ = try broker.send("/queue/a")
        for bad in ["", "1", "-1", "1-", "1-1-1", "x-1", "1-x", "99-1", "1-99", "99999999999999999999-1"] {
            assertThrows(.unknownAck(bad)) { () throws(BrokerError) in _ = try broker.ack(session: 1, ackID: bad) }
        }
        XCTAssertEqual(broker.stats.unackedMessages, 1)
    }

    func testAckOnAnAutoSubscriptionIsUnknown() throws {
        var broker = LocalBroker()
        try broker.sub(1, "client", "/queue/a", ack: .client)
        try broker.sub(1, "auto", "/topic/t")
        let ackID = try XCTUnwrap(try broker.send("/queue/a").first?.ackID)
        try broker.send("/topic/t")
        _ = try broker.unsubscribe(key(1, "client"))
        assertThrows(.unknownAck(ackID)) { () throws(BrokerError) in _ = try broker.ack(session: 1, ackID: ackID) }
    }

    func testAckIDsAreUniqueAcrossSubscriptionsAndRedeliveries() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .clientIndividual)
        try broker.sub(2, "q", "/queue/a", ack: .clientIndividual)
        try broker.sub(1, "t", "/topic/a", ack: .client)
        var ids: [String] = []
        for _ in 1...4 {
            let queued = try broker.send("/queue/a")
            ids += queued.compactMap(\.ackID)
            ids += try broker.send("/topic/a").compactMap(\.ackID)
            ids += try broker.nack(session: queued[0].subscription.session, ackID: queued[0].ackID!).compactMap(\.ackID)
        }
        XCTAssertEqual(ids.count, 12)
        XCTAssertEqual(Set(ids).count, 12)
    }

    func testMessageIDsAreUniqueAndCarryThePrefix() throws {
        var broker = LocalBroker(messageIDPrefix: "node7-")
        try broker.sub(1, "t", "/topic/a")
        try broker.sub(1, "q", "/queue/a")
        let ids = try (1...5).flatMap { _ throws(BrokerError) in try broker.send("/topic/a") + broker.send("/queue/a") }
            .map(\.publication.messageID)
        XCTAssertEqual(Set(ids).count, 10)
        XCTAssertTrue(ids.allSatisfy { $0.hasPrefix("node7-") })
    }

    func testLegacyAckIDLookupByMessageIDForQueuesAndTopics() throws {
        var broker = LocalBroker()
        try broker.sub(1, "q", "/queue/a", ack: .client)
        try broker.sub(1, "t", "/topic/a", ack: .client)
        try broker.sub(1, "auto", "/topic/a")
        let queued = try XCTUnwrap(try broker.send("/queue/a").first)
        let topic = try broker.send("/topic/a")
        XCTAssertEqual(broker.ackID(session: 1, subscription: "q", messageID: queued.publication.messageID), queued.ackID)
        XCTAssertEqual(broker.ackID(session: 1, subscription: "t", messageID: topic[0].publication.messageID), topic[0].ackID)
        XCTAssertNil(broker.ackID(session: 1, subscription: "auto", messageID: topic[1].publication.messageID))
        XCTAssertNil(broker.ackID(session: 1, subscription: "q", messageID: "nope"))
        XCTAssertNil(broker.ackID(session: 2, subscription: "q", messageID: queued.publication.messageID))
        _ = try broker.ack(session: 1, ackID: queued.ackID!)
        XCTAssertNil(broker.ackID(session: 1, subscription: "q", messageID: queued.publication.messageID), "settled")
    }
}
