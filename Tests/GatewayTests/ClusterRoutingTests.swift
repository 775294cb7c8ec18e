import Foundation
import STOMPWire
import TestSupport
import XCTest

/// The routing rules of a cluster, one body for every bus. Each test class below runs every
/// scenario against its bus (XCTest on Linux does not inherit test methods, hence the list).
struct ClusterRoutingScenarios {
    let cluster: () throws -> InProcessCluster


    private func bodies(_ client: TestClient, _ count: Int) throws -> [String] {
        try (0..<count).map { _ in String(decoding: try client.expect(.MESSAGE).body, as: UTF8.self) }
    }

    func topicReachesSubscribersOnEveryNodeInPublishOrder() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let subscribers = try (0..<3).map { node -> TestClient in
            let c = try cluster.connected(node, webSocket: node == 1)
            try c.subscribe("/topic/news", id: "n")
            return c
        }
        let publisher = try cluster.connected(0)
        for i in 0..<20 { try publisher.send(.SEND, [("destination", "/topic/news")], body: "m\(i)") }
        for subscriber in subscribers {
            XCTAssertEqual(try bodies(subscriber, 20), (0..<20).map { "m\($0)" })
        }
    }

    /// The broker-set `user-id` rides in the envelope: a message from node 1 names its sender on
    /// node 3 for topics, user destinations and queues; a forged copy never leaves node 1.
    func senderIdentityReachesOtherNodes() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let bob = try cluster.connected(2, login: "bob", webSocket: true)
        try bob.subscribe("/topic/sender", id: "t")
        try bob.subscribe("/user/queue/inbox", id: "u")
        try bob.subscribe("/queue/sender", id: "q")
        let alice = try cluster.connected(0, login: "alice")
        for destination in ["/topic/sender", "/user/bob/queue/inbox", "/queue/sender"] {
            try alice.publish(destination, "from alice", headers: [("user-id", "alice")])
            let message = try bob.expect(.MESSAGE)
            XCTAssertEqual(message["user-id"], "alice", destination)
            XCTAssertEqual(message.headers.filter { $0.name == "user-id" }.count, 1, destination)
        }
        try alice.send(.SEND, [("destination", "/topic/sender"), ("user-id", "carol")], body: "forged")
        XCTAssertEqual(try alice.expect(.ERROR).command, .ERROR)
        XCTAssertTrue(bob.receivesNothing())
    }

    /// `svc` is a backend service (`serviceUsers`): it consumes `/app` calls on node 3 and
    /// answers the sender on node 1 (its session only), then a @SubscribeMapping subscription.
    func applicationCallsReachOneServiceAndRepliesReachOnlyTheSendersSession() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let service = try cluster.connected(2, login: "svc")
        try service.subscribe("/app/**", id: "calls", ack: "client-individual")
        let alice1 = try cluster.connected(0, login: "alice", webSocket: true)
        let alice2 = try cluster.connected(1, login: "alice")
        for c in [alice1, alice2] { try c.subscribe("/user/queue/replies", id: "r") }
        try alice1.publish("/app/greet", "hi")
        let call = try service.expect(.MESSAGE)
        XCTAssertEqual(call["app-user"], "alice")
        XCTAssertEqual(call["destination"], "/app/greet")
        let session = try XCTUnwrap(call["app-session"])
        try service.send(.ACK, [("id", call["ack"] ?? "")])
        try service.publish("/user/alice/queue/replies", "hello alice", headers: [("reply-to-session", session)])
        XCTAssertEqual(try bodies(alice1, 1), ["hello alice"])
        XCTAssertTrue(alice2.receivesNothing())

        try alice2.subscribe("/app/profile", id: "p")
        let ask = try service.expect(.MESSAGE)
        XCTAssertEqual(ask["app-kind"], "subscribe")
        try service.send(.ACK, [("id", ask["ack"] ?? "")])
        try service.publish("/user/alice/queue/replies", "{}", headers: [("reply-to-session", ask["app-session"] ?? ""), ("reply-subscription", "p")])
        let answer = try alice2.expect(.MESSAGE)
        XCTAssertEqual(answer["subscription"], "p")
        XCTAssertEqual(answer["destination"], "/app/profile")
        XCTAssertTrue(alice1.receivesNothing())
    }

    /// Presence of `/topic/room.*` (configured by the test classes): one join when a user's first
    /// subscription anywhere appears, one leave when the last one anywhere goes.
    func presenceIsPublishedOncePerUserClusterWide() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let observer = try cluster.connected(0, login: "watch")
        try observer.subscribe("/topic/room.1.presence", id: "p")
        let alice1 = try cluster.connected(1, login: "alice")
        let alice2 = try cluster.connected(2, login: "alice")
        try alice1.subscribe("/topic/room.1", id: "a")
        let join = try observer.expect(.MESSAGE)
        XCTAssertEqual(join["presence-event"], "join")
        XCTAssertEqual(String(decoding: join.body, as: UTF8.self), #"{"event":"join","user":"alice","destination":"/topic/room.1"}"#)
        try alice2.subscribe("/topic/room.1", id: "a")
        try alice1.send(.UNSUBSCRIBE, [("id", "a"), ("receipt", "u")])
        try alice1.awaitReceipt("u")
        XCTAssertTrue(observer.receivesNothing(), "alice is still in the room on another node")
        try alice2.send(.DISCONNECT, [("receipt", "bye")])
        try alice2.awaitReceipt("bye")
        let leave = try observer.expect(.MESSAGE)
        XCTAssertEqual(leave["presence-event"], "leave")
        XCTAssertEqual(leave["presence-user"], "alice")
    }

    func wildcardSubscriptionOnAnotherNode() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let subscriber = try cluster.connected(2)
        try subscriber.subscribe("/topic/chat.#", id: "w")
        let publisher = try cluster.connected(0)
        try publisher.publish("/topic/chat.room1.typing", "x")
        XCTAssertEqual(try subscriber.expect(.MESSAGE)["destination"], "/topic/chat.room1.typing")
    }

    func userDestinationsReachEverySessionOfTheUserAcrossNodes() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let alice2 = try cluster.connected(1, login: "alice")
        let alice3 = try cluster.connected(2, login: "alice", webSocket: true)
        let bob = try cluster.connected(0, login: "bob")
        for (c, id) in [(alice2, "a2"), (alice3, "a3"), (bob, "b")] { try c.subscribe("/user/queue/inbox", id: id) }
        let sender = try cluster.connected(0, login: "support")
        try sender.publish("/user/alice/queue/inbox", "hello alice")
        XCTAssertEqual(try bodies(alice2, 1), ["hello alice"])
        XCTAssertEqual(try bodies(alice3, 1), ["hello alice"])
        XCTAssertTrue(bob.receivesNothing())
    }

    func userSessionThatJustConnectedReceives() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let sender = try cluster.connected(0, login: "support")
        let fresh = try cluster.connected(2, login: "carol")
        try fresh.subscribe("/user/queue/inbox", id: "c")  // the RECEIPT waits for the cluster
        try sender.publish("/user/carol/queue/inbox", "right away")
        XCTAssertEqual(try bodies(fresh, 1), ["right away"])
    }

    func queueMessagesAreDeliveredExactlyOnceAcrossNodes() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let consumers = try (0..<3).map { node -> TestClient in
            let c = try cluster.connected(node)
            try c.subscribe("/queue/work", id: "w")
            return c
        }
        let producer = try cluster.connected(0)
        for i in 0..<30 { try producer.publish("/queue/work", "job\(i)") }
        var received: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while received.count < 30 && Date() < deadline {
            for c in consumers {
                if let frame = try? c.receive(timeout: 0.05), frame.command == .MESSAGE {
                    received.append(String(decoding: frame.body, as: UTF8.self))
                }
            }
        }
        XCTAssertEqual(received.count, 30)
        XCTAssertEqual(Set(received), Set((0..<30).map { "job\($0)" }), "each message exactly once")
        for c in consumers { XCTAssertTrue(c.receivesNothing(within: 0.2)) }
    }

    func queueMessagesWaitForAConsumerOnAnyNode() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        let producer = try cluster.connected(0)
        for i in 0..<5 { try producer.publish("/queue/later", "early\(i)") }
        let consumer = try cluster.connected(2)
        try consumer.subscribe("/queue/later", id: "l")
        XCTAssertEqual(try bodies(consumer, 5), (0..<5).map { "early\($0)" })
    }

    func unackedQueueMessageGoesToAConsumerOnAnotherNodeWhenItsConsumerLeaves() throws {
        let cluster = try self.cluster()
        defer {
            cluster.stop()
            XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
        }
        var first: TestClient? = try cluster.connected(0)
        try first!.subscribe("/queue/precious", id: "a", ack: "client")
        let producer = try cluster.connected(1)
        try producer.publish("/queue/precious", "keep me")
        _ = try first!.expect(.MESSAGE)
        let second = try cluster.connected(2)
        try second.subscribe("/queue/precious", id: "b", ack: "client")
        first = nil
        let again = try second.expect(.MESSAGE)
        XCTAssertEqual(String(decoding: again.body, as: UTF8.self), "keep me")
        XCTAssertEqual(again["redelivered"], "true")
    }
}

final class InMemoryClusterRoutingTests: XCTestCase {
    private var scenarios: ClusterRoutingScenarios { ClusterRoutingScenarios { try InProcessCluster(nodes: 3, bus: .inMemory) { $0.serviceUsers = ["svc"]; $0.presenceDestinations = ["/topic/room.*"] } } }

    func testTopicReachesSubscribersOnEveryNodeInPublishOrder() throws { try scenarios.topicReachesSubscribersOnEveryNodeInPublishOrder() }
    func testWildcardSubscriptionOnAnotherNode() throws { try scenarios.wildcardSubscriptionOnAnotherNode() }
    func testPresenceIsPublishedOncePerUserClusterWide() throws { try scenarios.presenceIsPublishedOncePerUserClusterWide() }
    func testApplicationCallsReachOneServiceAndRepliesReachOnlyTheSendersSession() throws {
        try scenarios.applicationCallsReachOneServiceAndRepliesReachOnlyTheSendersSession()
    }
    func testUserDestinationsReachEverySessionOfTheUserAcrossNodes() throws { try scenarios.userDestinationsReachEverySessionOfTheUserAcrossNodes() }
    func testUserSessionThatJustConnectedReceives() throws { try scenarios.userSessionThatJustConnectedReceives() }
    func testSenderIdentityReachesOtherNodes() throws { try scenarios.senderIdentityReachesOtherNodes() }
    func testQueueMessagesAreDeliveredExactlyOnceAcrossNodes() throws { try scenarios.queueMessagesAreDeliveredExactlyOnceAcrossNodes() }
    func testQueueMessagesWaitForAConsumerOnAnyNode() throws { try scenarios.queueMessagesWaitForAConsumerOnAnyNode() }
    func testUnackedQueueMessageGoesToAConsumerOnAnotherNodeWhenItsConsumerLeaves() throws {
        try scenarios.unackedQueueMessageGoesToAConsumerOnAnotherNodeWhenItsConsumerLeaves()
    }
}

/// The same scenarios with every node on its own Redis connections (one real redis-server).
final class RedisClusterRoutingTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUpWithError() throws { redis = try RedisServerProcess.started() }
    override func tearDown() { redis?.stop() }

    private var scenarios: ClusterRoutingScenarios {
        let port = redis.port
        return ClusterRoutingScenarios { try InProcessCluster(nodes: 3, bus: .redis(port: port)) { $0.serviceUsers = ["svc"]; $0.presenceDestinations = ["/topic/room.*"] } }
    }

    func testTopicReachesSubscribersOnEveryNodeInPublishOrder() throws { try scenarios.topicReachesSubscribersOnEveryNodeInPublishOrder() }
    func testWildcardSubscriptionOnAnotherNode() throws { try scenarios.wildcardSubscriptionOnAnotherNode() }
    func testPresenceIsPublishedOncePerUserClusterWide() throws { try scenarios.presenceIsPublishedOncePerUserClusterWide() }
    func testApplicationCallsReachOneServiceAndRepliesReachOnlyTheSendersSession() throws {
        try scenarios.applicationCallsReachOneServiceAndRepliesReachOnlyTheSendersSession()
    }
    func testUserDestinationsReachEverySessionOfTheUserAcrossNodes() throws { try scenarios.userDestinationsReachEverySessionOfTheUserAcrossNodes() }
    func testUserSessionThatJustConnectedReceives() throws { try scenarios.userSessionThatJustConnectedReceives() }
    func testSenderIdentityReachesOtherNodes() throws { try scenarios.senderIdentityReachesOtherNodes() }
    func testQueueMessagesAreDeliveredExactlyOnceAcrossNodes() throws { try scenarios.queueMessagesAreDeliveredExactlyOnceAcrossNodes() }
    func testQueueMessagesWaitForAConsumerOnAnyNode() throws { try scenarios.queueMessagesWaitForAConsumerOnAnyNode() }
    func testUnackedQueueMessageGoesToAConsumerOnAnotherNodeWhenItsConsumerLeaves() throws {
        try scenarios.unackedQueueMessageGoesToAConsumerOnAnotherNodeWhenItsConsumerLeaves()
    }
}
