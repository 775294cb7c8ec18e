import Foundation
import STOMPWire
import TestSupport
import XCTest

/// The rows of the README's "Delivery guarantees" table that need real processes: node
/// processes killed and restarted, redis-server killed and restarted (with and without
/// persistence). The other rows name their tests in the table.
final class DeliveryGuaranteeTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUp() { redis = RedisServerProcess() }
    override func tearDown() { redis?.stop() }

    private static let offline = ["--set", "offline.prefixes=/user/*/queue/inbox"]

    private func startNode(_ id: String) throws -> NodeProcess {
        try NodeProcess(arguments: [
            "--redis", "redis://127.0.0.1:\(redis.port)", "--node-id", id,
            "--set", "cluster.heartbeat-ms=250", "--set", "cluster.node-timeout-ms=1500",
        ] + Self.offline)
    }

    private func client(_ node: NodeProcess, login: String) throws -> TestClient {
        let client = try TestClient(port: node.stompPort)
        try client.connect([("accept-version", "1.2"), ("host", "/"), ("login", login), ("passcode", "x")])
        return client
    }

    private func bodies(_ client: TestClient, _ count: Int, timeout: TimeInterval = 5) throws -> [String] {
        try (0..<count).map { _ in String(decoding: try client.expect(.MESSAGE, timeout: timeout).body, as: UTF8.self) }
    }

    private func metric(_ node: NodeProcess, _ line: String) throws -> Double {
        let text = try httpGet(port: node.adminPort, path: "/metrics").body
        let found = text.split(separator: "\n").first { $0.hasPrefix(line + " ") }
        return found.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    private func ready(_ node: NodeProcess) -> Bool {
        (try? httpGet(port: node.adminPort, path: "/readyz").status) == 200
    }

    // MARK: Offline /user prefix

    /// Cluster: kept messages live in Redis, so a node killed with `kill -9` and started again
    /// still delivers them, in order, to a subscriber on it.
    func testOfflineMessagesSurviveAKilledAndRestartedNode() throws {
        try redis.start()
        let first = try startNode("node1")
        let alice = try client(first, login: "alice")
        for i in 1...3 { try alice.publish("/user/bob/queue/inbox", "m\(i)") }
        XCTAssertEqual(try metric(first, #"stampede_offline_messages_total{result="stored"}"#), 3)
        first.kill9()

        let restarted = try startNode("node1")
        defer { restarted.stop() }
        let bob = try client(restarted, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in", ack: "client-individual")
        XCTAssertEqual(try bodies(bob, 3), ["m1", "m2", "m3"])
        XCTAssertEqual(try metric(restarted, #"stampede_offline_messages_total{result="replayed"}"#), 3)
    }

    /// A lone node keeps them in memory, says so at start-up, and loses them on restart.
    func testALoneNodeSaysItKeepsOfflineMessagesInMemoryAndLosesThemOnRestart() throws {
        let first = try NodeProcess(arguments: Self.offline)
        let alice = try client(first, login: "alice")
        try alice.publish("/user/bob/queue/inbox", "kept in memory")
        XCTAssertTrue(first.log.contains("offline messages kept in memory; lost on restart"), first.log)
        first.kill9()

        let restarted = try NodeProcess(arguments: Self.offline)
        defer { restarted.stop() }
        let bob = try client(restarted, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        XCTAssertTrue(bob.receivesNothing(within: 0.5))
    }

    /// With Redis persisting (AOF), kept offline messages and queued messages survive a Redis
    /// restart; the nodes reconnect on their own.
    func testKeptAndQueuedMessagesSurviveARedisRestartWhenRedisPersists() throws {
        redis.appendOnly = true
        try redis.start()
        let node = try startNode("node1")
        defer { node.stop() }
        XCTAssertTrue(eventually(within: 5) { ready(node) })
        let alice = try client(node, login: "alice")
        for i in 1...2 { try alice.publish("/user/bob/queue/inbox", "kept \(i)") }
        try alice.publish("/queue/jobs", "queued")

        try redis.restart()
        XCTAssertTrue(eventually(within: 10) { ready(node) }, "the node reconnected to Redis")
        let bob = try client(node, login: "bob")
        try bob.subscribe("/user/queue/inbox", id: "in")
        XCTAssertEqual(try bodies(bob, 2), ["kept 1", "kept 2"])
        try bob.subscribe("/queue/jobs", id: "jobs")
        XCTAssertEqual(try bodies(bob, 1, timeout: 10), ["queued"])
    }

    // MARK: /app

    /// A STOMP-service route is a shared queue: a call taken (not ACKed) by a service on a node
    /// that is killed goes to a service on another node, flagged redelivered.
    func testAnApplicationCallHeldByAServiceOnAKilledNodeGoesToAnotherService() throws {
        try redis.start()
        let nodes = try ["node1", "node2", "node3"].map { id in
            try NodeProcess(arguments: [
                "--redis", "redis://127.0.0.1:\(redis.port)", "--node-id", id,
                "--set", "cluster.heartbeat-ms=250", "--set", "cluster.node-timeout-ms=1500", "--set", "applications.service-users=svc",
            ])
        }
        defer { for node in nodes { node.stop() } }
        let doomed = try client(nodes[1], login: "svc")
        try doomed.subscribe("/app/**", id: "calls", ack: "client-individual")
        let alice = try client(nodes[0], login: "alice")
        try alice.publish("/app/orders.place", "order 1")
        XCTAssertEqual(try bodies(doomed, 1), ["order 1"])
        let survivor = try client(nodes[2], login: "svc")
        try survivor.subscribe("/app/**", id: "calls", ack: "client-individual")

        // Killed well within its first heartbeat: it registered when its Redis link came up, so
        // it is still declared dead and cleaned up.
        nodes[1].kill9()
        let call = try survivor.expect(.MESSAGE, timeout: 10)
        XCTAssertEqual(String(decoding: call.body, as: UTF8.self), "order 1")
        XCTAssertEqual(call["redelivered"], "true")
        XCTAssertEqual(call["app-user"], "alice")
    }

    // MARK: Redis outage

    /// While Redis is down, topic and live `/user` messages reach only the sender's own node
    /// (counted as undeliverable), are never delivered elsewhere later, and an offline message
    /// that cannot be kept is refused with an ERROR when its SEND asked for a receipt.
    func testMessagesSentDuringARedisOutageDoNotReachOtherNodesAndAreCounted() throws {
        try redis.start()
        let nodes = try ["node1", "node2"].map(startNode)
        defer { for node in nodes { node.stop() } }
        let bob = try client(nodes[1], login: "bob")
        try bob.subscribe("/topic/news", id: "t")
        try bob.subscribe("/user/queue/live", id: "u")
        let alice = try client(nodes[0], login: "alice")
        try alice.publish("/topic/news", "before")
        XCTAssertEqual(try bodies(bob, 1), ["before"])

        redis.kill9()
        XCTAssertTrue(eventually(within: 5) { (try? httpGet(port: nodes[0].adminPort, path: "/readyz").status) == 503 })
        try alice.publish("/topic/news", "lost topic")
        try alice.publish("/user/bob/queue/live", "lost user")
        XCTAssertGreaterThanOrEqual(try metric(nodes[0], "stampede_cluster_undeliverable_total"), 2)
        try alice.send(.SEND, [("destination", "/user/carol/queue/inbox"), ("receipt", "kept?")], body: "not kept")
        let error = try alice.expect(.ERROR)
        XCTAssertEqual(error["receipt-id"], "kept?")
        XCTAssertTrue(error["message"]?.hasPrefix("offline message not kept") == true, error["message"] ?? "")
        XCTAssertEqual(try metric(nodes[0], #"stampede_offline_messages_total{result="failed"}"#), 1)

        try redis.restart()
        XCTAssertTrue(eventually(within: 10) { nodes.allSatisfy(ready) })
        let publisher = try client(nodes[0], login: "alice")
        var seen: [String] = []
        XCTAssertTrue(try eventually(within: 10) {
            try publisher.publish("/topic/news", "after")
            while let frame = try? bob.receive(timeout: 0.1) { seen.append(String(decoding: frame.body, as: UTF8.self)) }
            return seen.contains("after")
        }, "delivery resumed")
        XCTAssertFalse(seen.contains("lost topic"))
        XCTAssertFalse(seen.contains("lost user"))
        let carol = try client(nodes[1], login: "carol")
        try carol.subscribe("/user/queue/inbox", id: "in")
        XCTAssertTrue(carol.receivesNothing())
    }
}
