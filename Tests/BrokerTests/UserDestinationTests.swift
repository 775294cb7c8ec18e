import Broker
import XCTest

final class UserDestinationTests: XCTestCase {
    func testEverySessionOfTheUserGetsItAndOthersNever() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/user/queue/inbox", user: "alice")
        try broker.sub(2, "a", "/user/queue/inbox", user: "alice")
        try broker.sub(3, "b", "/user/queue/inbox", user: "bob")
        let toAlice = try broker.send("/user/alice/queue/inbox", "hi")
        XCTAssertEqual(summaries(toAlice), ["1/a:hi", "2/a:hi"])
        XCTAssertTrue(toAlice.allSatisfy { $0.destination == "/user/queue/inbox" })
        XCTAssertEqual(toAlice[0].publication.destination, "/user/alice/queue/inbox")
        XCTAssertEqual(summaries(try broker.send("/user/bob/queue/inbox", "yo")), ["3/b:yo"])
        XCTAssertEqual(try broker.send("/user/carol/queue/inbox").count, 0)
    }

    func testUserTopicFormWorksLikeTheQueueForm() throws {
        var broker = LocalBroker()
        try broker.sub(1, "t", "/user/topic/alerts", user: "alice", ack: .client)
        let deliveries = try broker.send("/user/alice/topic/alerts")
        XCTAssertEqual(deliveries.map(\.destination), ["/user/topic/alerts"])
        XCTAssertNotNil(deliveries[0].ackID)
        XCTAssertNoThrow(try broker.ack(session: 1, ackID: deliveries[0].ackID!))
    }

    func testSubscribingToAnotherUsersDestinationIsForbidden() {
        var broker = LocalBroker()
        for destination in ["/user/bob/queue/inbox", "/user/alice/queue/inbox", "/user/", "/user/inbox"] {
            assertThrows(.forbiddenUserDestination(destination)) { () throws(BrokerError) in
                try broker.sub(1, destination, destination, user: "alice")
            }
        }
    }

    func testUserNamesThatCouldForgeARegistrationAreForbidden() throws {
        var broker = LocalBroker()
        try broker.sub(1, "victim", "/user/topic/queue/x", user: "a")  // registers /user/a/topic/queue/x
        for user in ["", "a/topic", "*", "#", "x.**"] {
            assertThrows(.forbiddenUserDestination("/user/queue/x")) { () throws(BrokerError) in
                try broker.sub(2, "s\(user)", "/user/queue/x", user: user)
            }
        }
        XCTAssertEqual(summaries(try broker.send("/user/a/topic/queue/x")), ["1/victim:"])
    }

    func testWildcardsAreRefusedForUserDestinations() {
        var broker = LocalBroker()
        assertThrows(.wildcardNotAllowed("/user/topic/*")) { () throws(BrokerError) in
            try broker.sub(1, "s", "/user/topic/*", user: "alice")
        }
        assertThrows(.wildcardNotAllowed("/user/alice/topic/#")) { () throws(BrokerError) in
            try broker.send("/user/alice/topic/#")
        }
    }

    func testDisconnectRemovesTheUsersRegistration() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/user/queue/inbox", user: "alice")
        XCTAssertEqual(broker.disconnect(1).count, 0)
        XCTAssertEqual(try broker.send("/user/alice/queue/inbox").count, 0)
        XCTAssertEqual(broker.stats.topicPatterns, 0)
    }
}
