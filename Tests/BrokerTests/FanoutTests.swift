import Broker
import XCTest

/// A SEND's deliveries made as they are read (`Fanout`, issue 13): the same deliveries, in the
/// same order, with the same ack ids, as the array the broker used to build.
final class FanoutTests: XCTestCase {
    func testTopicDeliveriesShareOnePublicationAndFollowSubscriberOrder() throws {
        var broker = LocalBroker(messageIDPrefix: "n-")
        try broker.sub(1, "a", "/topic/news")
        try broker.sub(2, "b", "/topic/news")
        try broker.sub(3, "c", "/topic/*")
        let fanout = try broker.publish(to: broker.sendDestination("/topic/news"), headers: [], body: Array("x".utf8))
        XCTAssertEqual(fanout.count, 3)
        var seen: [Delivery] = []
        fanout.forEach { seen.append($0) }
        XCTAssertEqual(summaries(seen), ["1/a:x", "2/b:x", "3/c:x"])
        XCTAssertTrue(seen.allSatisfy { $0.publication === seen[0].publication })
        XCTAssertEqual(seen.map(\.destination), ["/topic/news", "/topic/news", "/topic/news"])
        XCTAssertEqual(seen[0].publication.messageID, "n-1")
        XCTAssertEqual(summaries(fanout.deliveries), summaries(seen), "the array form reads the same deliveries")
    }

    func testOnlyClientAckSubscribersGetAckIDs() throws {
        var broker = LocalBroker()
        try broker.sub(1, "auto", "/topic/t")
        try broker.sub(2, "client", "/topic/t", ack: .client)
        try broker.sub(3, "auto2", "/topic/t")
        let deliveries = try broker.publish(to: broker.sendDestination("/topic/t"), headers: [], body: []).deliveries
        XCTAssertEqual(deliveries.map { $0.ackID == nil }, [true, false, true])
        let ackID = try XCTUnwrap(deliveries[1].ackID)
        XCTAssertEqual(broker.ackID(session: 2, subscription: "client", messageID: deliveries[1].publication.messageID), ackID)
    }

    func testUserDeliveriesShowTheSubscribedForm() throws {
        var broker = LocalBroker()
        try broker.sub(1, "inbox", "/user/queue/inbox", user: "alice")
        let deliveries = try broker.publish(to: broker.sendDestination("/user/alice/queue/inbox"), headers: [], body: []).deliveries
        XCTAssertEqual(deliveries.map(\.destination), ["/user/queue/inbox"])
    }

    func testQueueMessageIsOneDeliveryOrNone() throws {
        var broker = LocalBroker()
        let queue = try broker.sendDestination("/queue/jobs")
        let buffered = try broker.publish(to: queue, headers: [], body: Array("1".utf8))
        XCTAssertTrue(buffered.isEmpty, "no consumer yet: the message waits in the queue")
        XCTAssertEqual(summaries(try broker.sub(1, "w", "/queue/jobs")), ["1/w:1"])
        let direct = try broker.publish(to: queue, headers: [], body: Array("2".utf8))
        XCTAssertEqual(direct.count, 1)
        XCTAssertEqual(summaries(direct.deliveries), ["1/w:2"])
    }

    func testNobodyListeningIsEmpty() throws {
        var broker = LocalBroker()
        let fanout = try broker.publish(to: broker.sendDestination("/topic/quiet"), headers: [], body: [])
        XCTAssertTrue(fanout.isEmpty)
        var calls = 0
        fanout.forEach { _ in calls += 1 }
        XCTAssertEqual(calls, 0)
    }
}
