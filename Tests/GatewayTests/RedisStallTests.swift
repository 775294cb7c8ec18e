import Foundation
import STOMPWire
import TestSupport
import XCTest

/// A Redis that stops answering without closing its connections (SIGSTOP: what a hung host or a
/// silent partition looks like from the node) is found by the liveness probe, shown on /readyz
/// and /metrics, and delivery between nodes resumes once it answers again.
final class RedisStallTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUpWithError() throws { redis = try RedisServerProcess.started() }
    override func tearDown() {
        redis?.resume()
        redis?.stop()
    }

    private func startNode(_ id: String, stallReconnectMilliseconds: Int = 60_000, timeoutMilliseconds: Int = 400, extra: [String] = []) throws -> NodeProcess {
        try NodeProcess(arguments: [
            "--redis", "redis://127.0.0.1:\(redis.port)", "--node-id", id,
            "--set", "cluster.heartbeat-ms=250", "--set", "cluster.node-timeout-ms=5000",
            "--set", "cluster.redis-ping-interval-ms=100", "--set", "cluster.redis-timeout-ms=\(timeoutMilliseconds)",
            "--set", "cluster.redis-stall-reconnect-ms=\(stallReconnectMilliseconds)",
        ] + extra)
    }

    private func readyStatus(_ node: NodeProcess) -> Int? {
        try? httpGet(port: node.adminPort, path: "/readyz").status
    }

    private func metric(_ name: String, _ node: NodeProcess) -> Double? {
        guard let body = try? httpGet(port: node.adminPort, path: "/metrics").body else { return nil }
        return body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Publishes until one message reaches `subscriber` (or `seconds` pass).
    private func deliveryWorks(from publisher: TestClient, to subscriber: TestClient, within seconds: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var tick = 0
        while Date() < deadline {
            tick += 1
            try publisher.publish("/topic/ticks", "after-\(tick)")
            if let frame = try? subscriber.receive(timeout: 0.2), frame.command == .MESSAGE,
               String(decoding: frame.body, as: UTF8.self).hasPrefix("after-") {
                return true
            }
        }
        return false
    }

    func testSuspendedRedisMakesReadyzFailWithinTheTimeoutAndRecoversWithinAProbeInterval() throws {
        let nodes = try ["node1", "node2"].map { try startNode($0) }
        defer { for node in nodes { node.stop() } }
        XCTAssertTrue(eventually(within: 5) { readyStatus(nodes[0]) == 200 && readyStatus(nodes[1]) == 200 })
        XCTAssertEqual(metric("stampede_redis_up", nodes[0]), 1)
        let subscriber = try TestClient(port: nodes[1].stompPort)
        try subscriber.connect()
        try subscriber.subscribe("/topic/ticks", id: "t")
        let publisher = try TestClient(port: nodes[0].stompPort)
        try publisher.connect()
        XCTAssertTrue(try deliveryWorks(from: publisher, to: subscriber, within: 5))

        redis.suspend()
        let suspendedAt = Date()
        // Found within timeout (0.4 s) + interval (0.1 s); the rest is slack for a busy machine.
        XCTAssertTrue(eventually(within: 3) { readyStatus(nodes[0]) == 503 }, "/readyz fails while Redis does not answer")
        XCTAssertLessThan(Date().timeIntervalSince(suspendedAt), 3)
        let body = try httpGet(port: nodes[0].adminPort, path: "/readyz").body
        XCTAssertTrue(body.contains("stalled"), "the JSON reason says why: \(body)")
        XCTAssertEqual(metric("stampede_redis_up", nodes[0]), 0)
        XCTAssertEqual(metric("stampede_redis_stalled_total", nodes[0]), 1)

        redis.resume()
        let resumedAt = Date()
        XCTAssertTrue(eventually(within: 3) { readyStatus(nodes[0]) == 200 && readyStatus(nodes[1]) == 200 })
        XCTAssertLessThan(Date().timeIntervalSince(resumedAt), 3, "ready again within about a probe interval (+ slack)")
        XCTAssertTrue(nodes[0].waitForLog("down_ms", timeout: 2), "recovery logged with the stall's duration")
        XCTAssertTrue(try deliveryWorks(from: publisher, to: subscriber, within: 5), "subscriptions intact after the stall")
        XCTAssertEqual(metric("stampede_redis_stalled_total", nodes[0]), 1)
    }

    func testLongStallDropsAndRemakesTheConnectionsAndSubscriptionsComeBack() throws {
        let nodes = try ["node1", "node2"].map { try startNode($0, stallReconnectMilliseconds: 800) }
        defer { for node in nodes { node.stop() } }
        XCTAssertTrue(eventually(within: 5) { readyStatus(nodes[0]) == 200 && readyStatus(nodes[1]) == 200 })
        let subscriber = try TestClient(port: nodes[1].stompPort)
        try subscriber.connect()
        try subscriber.subscribe("/topic/ticks", id: "t")
        let publisher = try TestClient(port: nodes[0].stompPort)
        try publisher.connect()
        XCTAssertTrue(try deliveryWorks(from: publisher, to: subscriber, within: 5))

        redis.suspend()
        XCTAssertTrue(nodes[1].waitForLog("cluster link degraded", timeout: 3))
        // Past redis-stall-reconnect-ms the node gives the connection up: the reason changes.
        XCTAssertTrue(nodes[1].waitForLog("no answer for 800 ms", timeout: 4), "the stalled connections were dropped")
        redis.resume()
        XCTAssertTrue(eventually(within: 5) { readyStatus(nodes[0]) == 200 && readyStatus(nodes[1]) == 200 })
        XCTAssertTrue(try deliveryWorks(from: publisher, to: subscriber, within: 5), "re-subscribed on the new connection")
    }

    /// Before a stall is detected (or with a Redis that is slow rather than stopped), commands
    /// waiting for replies would grow with the publish rate: past cluster.max-pending-redis-bytes
    /// the link is congested (/readyz 503, publications counted, not queued) and the pending
    /// bytes stay near the bound; once Redis answers they drain and the link is up again.
    func testBytesAwaitingRedisAreBoundedAndTheLinkRecoversWhenTheyDrain() throws {
        let node = try startNode("node1", timeoutMilliseconds: 60_000, extra: ["--set", "cluster.max-pending-redis-bytes=65536"])
        defer { node.stop() }
        XCTAssertTrue(eventually(within: 5) { readyStatus(node) == 200 })
        let publisher = try TestClient(port: node.stompPort)
        try publisher.connect()
        redis.suspend()
        let body = String(repeating: "c", count: 16 * 1024)
        for _ in 0..<40 { try publisher.send(.SEND, [("destination", "/topic/congested")], body: body) }
        try publisher.publish("/topic/congested", "sync")
        XCTAssertTrue(eventually(within: 3) { readyStatus(node) == 503 }, "a congested link is not ready")
        XCTAssertTrue(try httpGet(port: node.adminPort, path: "/readyz").body.contains("congested"))
        XCTAssertEqual(metric("stampede_redis_congested_total", node), 1)
        let pending = try XCTUnwrap(metric("stampede_redis_pending_bytes", node))
        XCTAssertLessThan(pending, 65_536 + 2 * 17 * 1024, "40 × 16 KiB published, only up to the bound (+ the probes) awaits Redis")
        XCTAssertGreaterThan(try XCTUnwrap(metric("stampede_cluster_undeliverable_total", node)), 30)
        redis.resume()
        XCTAssertTrue(eventually(within: 5) { readyStatus(node) == 200 }, "the link is up once the pending replies came back")
        XCTAssertLessThan(try XCTUnwrap(metric("stampede_redis_pending_bytes", node)), 65_536 / 2)
    }
}
