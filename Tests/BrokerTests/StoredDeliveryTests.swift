import Broker
import XCTest

/// Kept offline messages handed to one subscription (`deliverStored`) and the ACKs that let the
/// store delete them (`takeSettledOfflineEntries`).
final class StoredDeliveryTests: XCTestCase {
    private func stored(_ body: String, id: String) -> Publication {
        Publication(destination: "/user/bob/queue/inbox", headers: [], body: Array(body.utf8), messageID: "m-\(id)", clusterEntry: id)
    }

    func testStoredMessagesGoToThatSubscriptionOnlyShownAsSubscribed() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/user/queue/inbox", user: "bob")
        try broker.sub(2, "b", "/user/queue/inbox", user: "bob")
        XCTAssertEqual(broker.userRegistration(of: key(1, "a"))?.destination, "/user/bob/queue/inbox")
        let deliveries = broker.deliverStored([stored("m1", id: "1-0"), stored("m2", id: "2-0")], to: key(1, "a"))
        XCTAssertEqual(summaries(deliveries), ["1/a:m1", "1/a:m2"])
        XCTAssertTrue(deliveries.allSatisfy { $0.destination == "/user/queue/inbox" && $0.ackID == nil })
        XCTAssertTrue(broker.deliverStored([stored("m3", id: "3-0")], to: key(9, "gone")).isEmpty)
        XCTAssertTrue(broker.takeSettledOfflineEntries().isEmpty, "auto ack: the node removes them when written")
    }

    func testAnAckReportsTheStoreIdsItCoversAndANackReportsNone() throws {
        var broker = LocalBroker()
        try broker.sub(1, "c", "/user/queue/inbox", user: "bob", ack: .client)
        let deliveries = broker.deliverStored((1...3).map { stored("m\($0)", id: "\($0)-0") }, to: key(1, "c"))
        let live = try broker.send("/user/bob/queue/inbox", "live")
        try broker.nack(session: 1, ackID: XCTUnwrap(deliveries[0].ackID))
        XCTAssertTrue(broker.takeSettledOfflineEntries().isEmpty, "a NACK leaves it stored for the next subscription")
        try broker.ack(session: 1, ackID: XCTUnwrap(live[0].ackID))  // client ack: covers m2, m3 and the live one
        XCTAssertEqual(broker.takeSettledOfflineEntries().map(\.entry), ["2-0", "3-0"])
        XCTAssertEqual(broker.takeSettledOfflineEntries(), [])
    }

    func testClientIndividualAckSettlesOnlyItsMessage() throws {
        var broker = LocalBroker()
        try broker.sub(1, "i", "/user/queue/inbox", user: "bob", ack: .clientIndividual)
        let deliveries = broker.deliverStored([stored("m1", id: "1-0"), stored("m2", id: "2-0")], to: key(1, "i"))
        try broker.ack(session: 1, ackID: XCTUnwrap(deliveries[1].ackID))
        XCTAssertEqual(broker.takeSettledOfflineEntries(), [SettledEntry(queue: "/user/bob/queue/inbox", entry: "2-0")])
    }
}
