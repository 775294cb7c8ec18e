import Broker
import XCTest

final class SubscriptionRulesTests: XCTestCase {
    func testUnknownPrefixIsRefusedAndTheMessageListsTheValidOnes() {
        var broker = LocalBroker()
        let expected = BrokerError.unknownDestinationPrefix("/exchange/x", validPrefixes: ["/topic/", "/queue/", "/user/"])
        assertThrows(expected) { () throws(BrokerError) in try broker.sub(1, "s", "/exchange/x") }
        assertThrows(expected) { () throws(BrokerError) in try broker.send("/exchange/x") }
        XCTAssertTrue(expected.message.contains("/topic/, /queue/, /user/"), expected.message)
        assertThrows(.unknownDestinationPrefix("/topic", validPrefixes: ["/topic/", "/queue/", "/user/"])) { () throws(BrokerError) in
            try broker.send("/topic")
        }
    }

    func testCustomPrefixesReplaceTheDefaults() throws {
        var broker = LocalBroker(prefixes: DestinationPrefixes(topic: "/exchange/", queue: "/amq/queue/", user: "/me/"))
        try broker.sub(1, "t", "/exchange/x")
        try broker.sub(1, "q", "/amq/queue/y")
        try broker.sub(1, "u", "/me/amq/queue/z", user: "ann")
        XCTAssertEqual(try broker.send("/exchange/x").count, 1)
        XCTAssertEqual(try broker.send("/amq/queue/y").count, 1)
        XCTAssertEqual(try broker.send("/me/ann/amq/queue/z").map(\.destination), ["/me/amq/queue/z"])
        assertThrows(.unknownDestinationPrefix("/topic/x", validPrefixes: ["/exchange/", "/amq/queue/", "/me/"])) { () throws(BrokerError) in
            try broker.send("/topic/x")
        }
    }

    func testPublishingToAPatternIsNeverAllowed() throws {
        var broker = LocalBroker()
        try broker.sub(1, "s", "/topic/#")
        for destination in ["/topic/*", "/topic/a.#", "/topic/**"] {
            assertThrows(.wildcardNotAllowed(destination)) { () throws(BrokerError) in try broker.send(destination) }
        }
        XCTAssertEqual(broker.stats.published, 0)
    }

    func testSameKeyTwiceIsADuplicateButTheSameIdInAnotherSessionIsNot() throws {
        var broker = LocalBroker()
        try broker.sub(1, "s", "/topic/a")
        assertThrows(.duplicateSubscription("s")) { () throws(BrokerError) in try broker.sub(1, "s", "/queue/b") }
        XCTAssertNoThrow(try broker.sub(2, "s", "/topic/a"))
        XCTAssertEqual(try broker.send("/topic/a").count, 2)
    }

    func testUnsubscribingAnUnknownIdFails() throws {
        var broker = LocalBroker()
        try broker.sub(1, "s", "/topic/a")
        assertThrows(.unknownSubscription("x")) { () throws(BrokerError) in _ = try broker.unsubscribe(key(1, "x")) }
        assertThrows(.unknownSubscription("s")) { () throws(BrokerError) in _ = try broker.unsubscribe(key(2, "s")) }
        _ = try broker.unsubscribe(key(1, "s"))
        assertThrows(.unknownSubscription("s")) { () throws(BrokerError) in _ = try broker.unsubscribe(key(1, "s")) }
    }

    func testSubscriptionLimitPerSessionAtLimitAndBeyond() throws {
        var broker = LocalBroker(limits: BrokerLimits(maxSubscriptionsPerSession: 3))
        for n in 1...3 { try broker.sub(1, "s\(n)", "/topic/\(n)") }
        assertThrows(.tooManySubscriptions(3)) { () throws(BrokerError) in try broker.sub(1, "s4", "/topic/4") }
        XCTAssertNoThrow(try broker.sub(2, "s4", "/topic/4"), "the limit is per session")
        _ = try broker.unsubscribe(key(1, "s1"))
        XCTAssertNoThrow(try broker.sub(1, "s4", "/topic/4"))
    }

    func testDisconnectForgetsEverythingOfTheSession() throws {
        var broker = LocalBroker()
        try broker.sub(1, "t", "/topic/a", ack: .client)
        try broker.sub(1, "q", "/queue/a", ack: .client)
        try broker.sub(1, "u", "/user/queue/a", user: "ann")
        try broker.sub(2, "t", "/topic/a")
        try broker.send("/topic/a")
        try broker.send("/queue/a")
        _ = broker.disconnect(1)
        XCTAssertEqual(broker.disconnect(1).count, 0, "twice is harmless")
        let stats = broker.stats
        XCTAssertEqual(stats.sessions, 1)
        XCTAssertEqual(stats.subscriptions, 1)
        XCTAssertEqual(stats.topicPatterns, 1)
        XCTAssertEqual(stats.unackedMessages, 0)
        XCTAssertEqual(stats.queuedMessages, 1, "the queue message waits for a new consumer")
        XCTAssertNoThrow(try broker.sub(1, "t", "/topic/a"), "the id is free again")
    }

    func testStatsCountPublicationsDeliveriesAndGauges() throws {
        var broker = LocalBroker()
        try broker.sub(1, "a", "/topic/#")
        try broker.sub(2, "b", "/topic/x")
        try broker.sub(3, "q", "/queue/q", ack: .client, prefetch: 1)
        try broker.send("/topic/x")
        try broker.send("/queue/q")
        try broker.send("/queue/q")
        let stats = broker.stats
        XCTAssertEqual(stats.sessions, 3)
        XCTAssertEqual(stats.subscriptions, 3)
        XCTAssertEqual(stats.topicPatterns, 2)
        XCTAssertEqual(stats.queues, 1)
        XCTAssertEqual(stats.queuedMessages, 1)
        XCTAssertEqual(stats.unackedMessages, 1)
        XCTAssertEqual(stats.published, 3)
        XCTAssertEqual(stats.delivered, 3)
        XCTAssertEqual(stats.dropped, 0)
    }

    func testErrorMessagesNameTheOffendingValue() {
        let cases: [(BrokerError, String)] = [
            (.wildcardNotAllowed("/queue/*"), "/queue/*"),
            (.forbiddenUserDestination("/user/bob/x"), "/user/bob/x"),
            (.duplicateSubscription("sub-1"), "sub-1"),
            (.unknownSubscription("sub-2"), "sub-2"),
            (.tooManySubscriptions(1024), "1024"),
            (.unknownAck("7-3"), "7-3"),
            (.queueFull("/queue/full"), "/queue/full"),
        ]
        for (error, value) in cases {
            XCTAssertTrue(error.message.contains(value), error.message)
        }
    }
}
