import Foundation
import STOMPWire
import TestSupport
import XCTest

/// Real redis-server, real node processes: what operators see when a node or Redis fails.
final class ClusterProcessTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUpWithError() throws { redis = try RedisServerProcess.started() }
    override func tearDown() { redis?.stop() }

    private func startNode(_ id: String, _ extra: [String] = []) throws -> NodeProcess {
        try NodeProcess(arguments: [
            "--redis", "redis://127.0.0.1:\(redis.port)", "--node-id", id,
            "--set", "cluster.heartbeat-ms=250", "--set", "cluster.node-timeout-ms=1500",
        ] + extra)
    }

    private func liveNodes() throws -> Set<String> {
        Set(try redis.command(["SMEMBERS", "stampede:nodes"]).array?.compactMap(\.string) ?? [])
    }

    func testKilledNodeIsRemovedWithinTenSecondsAndOthersKeepDelivering() throws {
        let nodes = try ["node1", "node2", "node3"].map { try startNode($0) }
        defer { for node in nodes { node.stop() } }
        XCTAssertTrue(try eventually(within: 5) { try liveNodes() == ["node1", "node2", "node3"] })

        // A client-ack consumer on node 2 takes a queue message and never ACKs it.
        let doomed = try TestClient(port: nodes[1].stompPort)
        try doomed.connect()
        try doomed.subscribe("/queue/jobs", id: "d", ack: "client")
        let producer = try TestClient(port: nodes[0].stompPort)
        try producer.connect()
        try producer.publish("/queue/jobs", "job-1")
        XCTAssertEqual(String(decoding: try doomed.expect(.MESSAGE).body, as: UTF8.self), "job-1")

        let survivor = try TestClient(port: nodes[2].stompPort)
        try survivor.connect()
        try survivor.subscribe("/queue/jobs", id: "s", ack: "client")
        try survivor.subscribe("/topic/status", id: "t")

        let killedAt = Date()
        nodes[1].kill9()
        XCTAssertTrue(try eventually(within: 10) { try liveNodes() == ["node1", "node3"] }, "node2 gone from the registry")
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 10)
        XCTAssertEqual(try redis.command(["EXISTS", "stampede:node:node2"]).integer, 0)

        let redelivered = try survivor.expect(.MESSAGE, timeout: 10)
        XCTAssertEqual(String(decoding: redelivered.body, as: UTF8.self), "job-1", "the dead node's unsettled message is not lost")
        XCTAssertEqual(redelivered["redelivered"], "true")

        let view = try json(try httpGet(port: nodes[0].adminPort, path: "/admin/cluster").body)
        let ids = (view["nodes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(ids, ["node1", "node3"], "the admin view shows the true state")

        try producer.publish("/topic/status", "still delivering")
        XCTAssertEqual(String(decoding: try survivor.expect(.MESSAGE).body, as: UTF8.self), "still delivering")
    }

    func testConnectionsPerUserAreCountedAcrossNodesWithinAHeartbeat() throws {
        let limit = ["--set", "limits.max-connections-per-user=2"]
        let nodes = try ["node1", "node2"].map { try startNode($0, limit) }
        defer { for node in nodes { node.stop() } }
        func login(_ node: NodeProcess, _ user: String) throws -> TestClient {
            let client = try TestClient(port: node.stompPort)
            try client.send(.CONNECT, [("accept-version", "1.2"), ("login", user)])
            XCTAssertEqual(try client.receive().command, .CONNECTED)
            return client
        }
        func aliceOnNode1() -> String? { try? redis.command(["HGET", "stampede:users-of:node1", "alice"]).string }
        var held = [try login(nodes[0], "alice"), try login(nodes[0], "alice")]
        XCTAssertTrue(eventually(within: 5) { aliceOnNode1() == "2" }, "node1's next report carries alice's 2 sessions")

        let third = try login(nodes[1], "alice")
        let error = try third.expect(.ERROR, timeout: 3)
        XCTAssertEqual(error["message"], "too many connections for this user (limit 2)", "node2 counts node1's sessions")
        XCTAssertTrue(nodes[1].waitForLog("too many connections for this user (cluster)"))
        held.append(try login(nodes[1], "bob"))
        XCTAssertThrowsError(try held[2].expect(.ERROR, timeout: 0.5), "another user is not limited by alice's sessions")

        held.removeFirst()  // one of node1's alice sessions closes
        XCTAssertTrue(eventually(within: 5) { aliceOnNode1() == "1" })
        let again = try login(nodes[1], "alice")
        XCTAssertThrowsError(try again.expect(.ERROR, timeout: 1), "the slot freed on node1 can be taken on node2")
        withExtendedLifetime(held) {}
    }

    func testRedisRestartResumesDeliveryWithinFiveSecondsWithoutNodeRestart() throws {
        let nodes = try ["node1", "node2"].map { try startNode($0) }
        defer { for node in nodes { node.stop() } }
        let subscriber = try TestClient(port: nodes[1].webSocketPort, transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: nil))
        try subscriber.connect()
        try subscriber.subscribe("/topic/ticks", id: "t")
        let publisher = try TestClient(port: nodes[0].stompPort)
        try publisher.connect()
        let neighbour = try TestClient(port: nodes[0].stompPort)
        try neighbour.connect()
        try neighbour.subscribe("/topic/ticks", id: "n")
        try publisher.publish("/topic/ticks", "before")
        XCTAssertEqual(String(decoding: try subscriber.expect(.MESSAGE).body, as: UTF8.self), "before")
        XCTAssertEqual(String(decoding: try neighbour.expect(.MESSAGE).body, as: UTF8.self), "before")

        redis.kill9()
        var degraded = false
        for _ in 0..<50 where !degraded {
            usleep(100_000)
            degraded = (try? httpGet(port: nodes[0].adminPort, path: "/readyz").status) == 503
        }
        XCTAssertTrue(degraded, "/readyz says the node is degraded while Redis is down")
        try publisher.publish("/topic/ticks", "local only while Redis is down")
        XCTAssertEqual(String(decoding: try neighbour.expect(.MESSAGE).body, as: UTF8.self), "local only while Redis is down",
                       "local delivery keeps working without Redis")
        let metrics = try httpGet(port: nodes[0].adminPort, path: "/metrics").body
        let undeliverable = metrics.split(separator: "\n").first { $0.hasPrefix("stampede_cluster_undeliverable_total ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
        XCTAssertGreaterThan(undeliverable ?? 0, 0, "the cross-node copy is counted, not silently dropped")
        try redis.restart()
        let restartedAt = Date()

        var received = false
        var tick = 0
        while !received && Date().timeIntervalSince(restartedAt) < 5 {
            tick += 1
            try publisher.publish("/topic/ticks", "after-\(tick)")
            if let frame = try? subscriber.receive(timeout: 0.2), frame.command == .MESSAGE,
               String(decoding: frame.body, as: UTF8.self).hasPrefix("after-") {
                received = true
            }
        }
        XCTAssertTrue(received, "delivery resumed within 5 s of the Redis restart")
        XCTAssertEqual(nodes[0].stop(), 0)
        XCTAssertEqual(nodes[1].stop(), 0)
    }

    func testQueueMessagesSentWhileRedisIsDownAreKeptAndHandedOverAfterwards() throws {
        let nodes = try ["node1", "node2"].map { try startNode($0) }
        defer { for node in nodes { node.stop() } }
        let remote = try TestClient(port: nodes[1].stompPort)
        try remote.connect()
        try remote.subscribe("/queue/orders", id: "r")
        let producer = try TestClient(port: nodes[0].stompPort)
        try producer.connect()

        redis.kill9()
        var degraded = false
        for _ in 0..<50 where !degraded {
            usleep(100_000)
            degraded = (try? httpGet(port: nodes[0].adminPort, path: "/readyz").status) == 503
        }
        XCTAssertTrue(degraded)
        try producer.publish("/queue/orders", "placed during the outage")
        try redis.restart()
        let frame = try remote.expect(.MESSAGE, timeout: 10)
        XCTAssertEqual(String(decoding: frame.body, as: UTF8.self), "placed during the outage", "kept on node1, handed over when Redis came back")
    }
}
