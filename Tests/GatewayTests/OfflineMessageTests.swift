import Foundation
import Gateway
import Logging
import STOMPWire
import TestSupport
import XCTest

/// Offline user messages (`offline.*`), one body for both stores: a lone node keeps them in
/// memory; two nodes on Redis keep them in streams, with the sender on node 1 and the
/// recipient on node 2 (the last node of the cluster).
struct OfflineMessageScenarios {
    let cluster: (@escaping @Sendable (inout NodeConfiguration) -> Void) throws -> InProcessCluster
    let nodes: Int
    static let inbox = "/user/bob/queue/inbox"

    private var recipientNode: Int { nodes - 1 }

    private func start(_ configure: @escaping @Sendable (inout NodeConfiguration) -> Void = { _ in }) throws -> InProcessCluster {
        try cluster { configuration in
            configuration.offline.prefixes = ["/user/*/queue/inbox"]
            configure(&configuration)
        }
    }

    private func stop(_ cluster: InProcessCluster) {
        cluster.stop()
        XCTAssertTrue(cluster.loopClosedCleanly, "every handle closed and uv_loop_close succeeded")
    }

    private func bodies(_ client: TestClient, _ count: Int) throws -> [String] {
        try (0..<count).map { _ in String(decoding: try client.expect(.MESSAGE).body, as: UTF8.self) }
    }

    func messagesForAnOfflineUserWaitAndArriveInOrderOnSubscribeThenLiveOnes() throws {
        let cluster = try start()
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        for i in 1...3 { try alice.publish(Self.inbox, "stored \(i)") }
        let bob = try cluster.connected(recipientNode, login: "bob", webSocket: true)
        try bob.subscribe("/user/queue/inbox", id: "in")
        let first = try bob.expect(.MESSAGE)
        XCTAssertEqual(first["destination"], "/user/queue/inbox", "shown as subscribed, like live /user messages")
        XCTAssertEqual(first["user-id"], "alice")
        XCTAssertEqual(String(decoding: first.body, as: UTF8.self), "stored 1")
        XCTAssertEqual(try bodies(bob, 2), ["stored 2", "stored 3"])
        try alice.publish(Self.inbox, "live")
        XCTAssertEqual(try bodies(bob, 1), ["live"])

        // Auto ack: delivered means removed; a later subscription gets nothing again.
        try bob.send(.UNSUBSCRIBE, [("id", "in")])
        try bob.subscribe("/user/queue/inbox", id: "again")
        XCTAssertTrue(bob.receivesNothing())
    }

    /// Live messages sent while the subscriber's node reads the stored ones (in pages of 10)
    /// wait behind them: nothing lost, nothing out of order.
    func liveMessagesDuringTheReplayWaitBehindTheStoredOnes() throws {
        let cluster = try start { $0.offline.replayBatch = 10 }
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        for i in 0..<100 { try alice.send(.SEND, [("destination", Self.inbox)], body: "s\(i)") }
        try alice.publish(Self.inbox, "s100")
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.send(.SUBSCRIBE, [("destination", "/user/queue/inbox"), ("id", "in")])
        for i in 0..<50 { try alice.send(.SEND, [("destination", Self.inbox)], body: "l\(i)") }
        XCTAssertEqual(try bodies(bob, 151), (0...100).map { "s\($0)" } + (0..<50).map { "l\($0)" })
    }

    func pastTheCountBoundTheOldestAreDropped() throws {
        let cluster = try start { $0.offline.maxMessagesPerUser = 3 }
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        for i in 1...5 { try alice.publish(Self.inbox, "m\(i)") }
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        XCTAssertEqual(try bodies(bob, 3), ["m3", "m4", "m5"])
        XCTAssertTrue(bob.receivesNothing())
    }

    func messagesOlderThanTheTTLAreNotDelivered() throws {
        let cluster = try start { $0.offline.ttlSeconds = 1 }
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        try alice.publish(Self.inbox, "old")
        usleep(1_100_000)  // the age limit is the point of the test
        try alice.publish(Self.inbox, "young")
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        XCTAssertEqual(try bodies(bob, 1), ["young"])
        XCTAssertTrue(bob.receivesNothing())
    }

    /// A retried SEND with the same `message-dedup-id` is dropped, stored or live.
    func aRepeatedDedupIDIsDeliveredOnce() throws {
        let cluster = try start()
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        try alice.publish(Self.inbox, "first", headers: [("message-dedup-id", "a-1")])
        try alice.publish(Self.inbox, "retry", headers: [("message-dedup-id", "a-1")])
        try alice.publish(Self.inbox, "second", headers: [("message-dedup-id", "a-2")])
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        XCTAssertEqual(try bodies(bob, 2), ["first", "second"])
        try alice.publish(Self.inbox, "live retry", headers: [("message-dedup-id", "a-2")])
        try alice.publish(Self.inbox, "third", headers: [("message-dedup-id", "a-3")])
        XCTAssertEqual(try bodies(bob, 1), ["third"])
    }

    /// Client acks: a stored message stays until ACKed; the session dies with one un-ACKed,
    /// and the user's next subscription gets that one again (at-least-once), not the ACKed one.
    func anUnackedStoredMessageIsDeliveredAgainAfterTheSessionDies() throws {
        let cluster = try start()
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        for i in 1...2 { try alice.publish(Self.inbox, "m\(i)") }
        let phone = try cluster.connected(recipientNode, login: "bob")
        try phone.subscribe("/user/queue/inbox", id: "in", ack: "client-individual")
        let first = try phone.expect(.MESSAGE)
        _ = try phone.expect(.MESSAGE)
        try phone.send(.ACK, [("id", first["ack"] ?? ""), ("receipt", "acked")])
        try phone.awaitReceipt("acked")
        phone.hangUp()
        let laptop = try cluster.connected(0, login: "bob")
        try laptop.subscribe("/user/queue/inbox", id: "in", ack: "client")
        XCTAssertEqual(try bodies(laptop, 1), ["m2"])
        XCTAssertTrue(laptop.receivesNothing())
    }

    /// A replay larger than the subscriber's output limit is paced (the next page waits until
    /// the subscriber has read most of the last): the subscriber is not cut as a slow consumer.
    func aReplayLargerThanTheOutputLimitIsPacedNotCut() throws {
        let cluster = try start { configuration in
            configuration.offline.replayBatch = 4
            configuration.maxOutputBufferBytes = 256 * 1024
        }
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        let body = String(repeating: "x", count: 32 * 1024)
        for i in 0..<40 { try alice.publish(Self.inbox, "\(i) " + body) }
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        let received = try bodies(bob, 40).map { $0.prefix { $0 != " " } }
        XCTAssertEqual(received, (0..<40).map { "\($0)"[...] })
    }

    /// The user's last subscription just left, but its node still holds the destination's
    /// channel (`cluster.interest-grace-ms`): that node gets the message live, finds no
    /// subscriber and keeps it. Checked with the recipient on the sender's node and on another.
    func aMessageSentJustAfterTheLastSubscriberLeftIsKept() throws {
        let cluster = try start { $0.interestGraceMilliseconds = 10_000 }
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        for node in Set([0, recipientNode]).sorted() {
            let bob = try cluster.connected(node, login: "bob")
            try bob.subscribe("/user/queue/inbox", id: "in")
            try bob.send(.UNSUBSCRIBE, [("id", "in"), ("receipt", "left")])
            try bob.awaitReceipt("left")
            try alice.publish(Self.inbox, "sent to node \(node) after bob left")
            try bob.subscribe("/user/queue/inbox", id: "back")
            XCTAssertEqual(try bodies(bob, 1), ["sent to node \(node) after bob left"])
        }
    }

    /// Other `/user` destinations keep their at-most-once behaviour.
    func userDestinationsOutsideThePrefixesAreNotKept() throws {
        let cluster = try start()
        defer { stop(cluster) }
        let alice = try cluster.connected(0, login: "alice")
        try alice.publish("/user/bob/queue/other", "gone")
        let bob = try cluster.connected(recipientNode, login: "bob")
        try bob.subscribe("/user/queue/other", id: "o")
        XCTAssertTrue(bob.receivesNothing())
    }
}

final class InMemoryOfflineMessageTests: XCTestCase {
    private var scenarios: OfflineMessageScenarios {
        OfflineMessageScenarios(cluster: { configure in try InProcessCluster(nodes: 1, bus: .inMemory, configure: configure) }, nodes: 1)
    }

    func testMessagesForAnOfflineUserWaitAndArriveInOrderOnSubscribeThenLiveOnes() throws { try scenarios.messagesForAnOfflineUserWaitAndArriveInOrderOnSubscribeThenLiveOnes() }
    func testLiveMessagesDuringTheReplayWaitBehindTheStoredOnes() throws { try scenarios.liveMessagesDuringTheReplayWaitBehindTheStoredOnes() }
    func testPastTheCountBoundTheOldestAreDropped() throws { try scenarios.pastTheCountBoundTheOldestAreDropped() }
    func testMessagesOlderThanTheTTLAreNotDelivered() throws { try scenarios.messagesOlderThanTheTTLAreNotDelivered() }
    func testARepeatedDedupIDIsDeliveredOnce() throws { try scenarios.aRepeatedDedupIDIsDeliveredOnce() }
    func testAnUnackedStoredMessageIsDeliveredAgainAfterTheSessionDies() throws { try scenarios.anUnackedStoredMessageIsDeliveredAgainAfterTheSessionDies() }
    func testUserDestinationsOutsideThePrefixesAreNotKept() throws { try scenarios.userDestinationsOutsideThePrefixesAreNotKept() }
    func testAReplayLargerThanTheOutputLimitIsPacedNotCut() throws { try scenarios.aReplayLargerThanTheOutputLimitIsPacedNotCut() }
    func testAMessageSentJustAfterTheLastSubscriberLeftIsKept() throws { try scenarios.aMessageSentJustAfterTheLastSubscriberLeftIsKept() }

    /// `offline.memory-max-bytes`: past it a SEND asking for a receipt gets an ERROR saying the
    /// message was not kept, instead of the RECEIPT.
    func testPastTheMemoryBoundASendWithAReceiptIsRefusedWithAnError() throws {
        let cluster = try InProcessCluster(nodes: 1, bus: .inMemory) { configuration in
            configuration.offline.prefixes = ["/user/*/queue/inbox"]
            configuration.offline.memoryMaxBytes = 2_048
        }
        defer { cluster.stop() }
        let alice = try cluster.connected(0, login: "alice")
        var kept = 0
        var refusal: String?
        while refusal == nil && kept < 10 {
            do {
                try alice.publish(OfflineMessageScenarios.inbox, String(repeating: "x", count: 600))
                kept += 1
            } catch {
                refusal = "\(error)"
            }
        }
        XCTAssertEqual(kept, 2, "600-byte bodies plus bookkeeping: two fit in 2 KiB")
        XCTAssertTrue(refusal?.contains("offline message not kept: offline store full") == true, refusal ?? "no ERROR")
    }
}

/// The same scenarios across two nodes on one real redis-server: sent via node 1, received on node 2.
final class RedisOfflineMessageTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUpWithError() throws { redis = try RedisServerProcess.started() }
    override func tearDown() { redis?.stop() }

    private var scenarios: OfflineMessageScenarios {
        let port = redis.port
        return OfflineMessageScenarios(cluster: { configure in try InProcessCluster(nodes: 2, bus: .redis(port: port), configure: configure) }, nodes: 2)
    }

    func testMessagesForAnOfflineUserWaitAndArriveInOrderOnSubscribeThenLiveOnes() throws { try scenarios.messagesForAnOfflineUserWaitAndArriveInOrderOnSubscribeThenLiveOnes() }
    func testLiveMessagesDuringTheReplayWaitBehindTheStoredOnes() throws { try scenarios.liveMessagesDuringTheReplayWaitBehindTheStoredOnes() }
    func testPastTheCountBoundTheOldestAreDropped() throws { try scenarios.pastTheCountBoundTheOldestAreDropped() }
    func testMessagesOlderThanTheTTLAreNotDelivered() throws { try scenarios.messagesOlderThanTheTTLAreNotDelivered() }
    func testARepeatedDedupIDIsDeliveredOnce() throws { try scenarios.aRepeatedDedupIDIsDeliveredOnce() }
    func testAnUnackedStoredMessageIsDeliveredAgainAfterTheSessionDies() throws { try scenarios.anUnackedStoredMessageIsDeliveredAgainAfterTheSessionDies() }
    func testUserDestinationsOutsideThePrefixesAreNotKept() throws { try scenarios.userDestinationsOutsideThePrefixesAreNotKept() }
    func testAReplayLargerThanTheOutputLimitIsPacedNotCut() throws { try scenarios.aReplayLargerThanTheOutputLimitIsPacedNotCut() }
    func testAMessageSentJustAfterTheLastSubscriberLeftIsKept() throws { try scenarios.aMessageSentJustAfterTheLastSubscriberLeftIsKept() }
}

final class OfflineConfigurationTests: XCTestCase {
    func testAnOfflinePrefixOutsideTheUserPrefixRefusesToStart() throws {
        var configuration = NodeConfiguration()
        configuration.webSocketPort = 0
        configuration.stompPort = 0
        configuration.adminPort = nil
        configuration.apiPort = nil
        configuration.prefixes.user = "/u/"
        configuration.offline.prefixes = ["/user/*/queue/inbox"]
        let node = try Node(configuration: configuration, logger: Logger(label: "offline-config"))
        XCTAssertThrowsError(try node.start(handleSignals: false)) { error in
            XCTAssertTrue("\(error)".contains("must start with '/u/*/'"), "\(error)")
        }
    }
}
