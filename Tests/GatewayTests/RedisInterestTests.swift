import Foundation
import STOMPWire
import TestSupport
import XCTest

/// What the cluster costs in Redis: one PUBLISH per message whatever the number of interested
/// nodes, and a node's subscription that changes only at the first and (after the grace
/// period) the last local subscriber.
final class RedisInterestTests: XCTestCase {
    private var redis: RedisServerProcess!

    override func setUpWithError() throws { redis = try RedisServerProcess.started() }
    override func tearDown() { redis?.stop() }

    private func channels(_ pattern: String) throws -> Set<String> {
        Set(try redis.command(["PUBSUB", "CHANNELS", pattern]).array?.compactMap(\.string) ?? [])
    }

    private func publishCalls() throws -> Int {
        let info = try redis.command(["INFO", "commandstats"]).string ?? ""
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_publish:") }),
              let calls = line.split(separator: ",").first?.split(separator: "=").last else { return 0 }
        return Int(calls) ?? 0
    }

    func testOneMessageIsOnePublishWhateverTheNumberOfInterestedNodes() throws {
        let cluster = try InProcessCluster(nodes: 3, bus: .redis(port: redis.port))
        defer { cluster.stop() }
        let subscribers = try [1, 2].map { node -> TestClient in
            let c = try cluster.connected(node)
            try c.subscribe("/topic/once", id: "s")
            return c
        }
        let publisher = try cluster.connected(0)
        _ = try redis.command(["CONFIG", "RESETSTAT"])
        try publisher.publish("/topic/once", "one")
        for subscriber in subscribers { _ = try subscriber.expect(.MESSAGE) }
        XCTAssertEqual(try publishCalls(), 1)
    }

    func testNodeInterestChangesOnlyAtFirstAndAfterGraceLastSubscriber() throws {
        let cluster = try InProcessCluster(nodes: 2, bus: .redis(port: redis.port)) { $0.interestGraceMilliseconds = 600 }
        defer { cluster.stop() }
        let channel = "stampede:d:/topic/grace"
        let first = try cluster.connected(1)
        try first.subscribe("/topic/grace", id: "a")
        XCTAssertEqual(try channels(channel), [channel], "subscribed at the first local subscriber (RECEIPT waited for it)")
        let second = try cluster.connected(1)
        try second.subscribe("/topic/grace", id: "b")
        for client in [first, second] {
            try client.send(.UNSUBSCRIBE, [("id", client === first ? "a" : "b"), ("receipt", "u")])
            try client.awaitReceipt("u")
        }
        XCTAssertEqual(try channels(channel), [channel], "kept through the grace period")
        let deadline = Date().addingTimeInterval(5)
        while try channels(channel).isEmpty == false && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try channels(channel), [], "withdrawn after the grace period")
    }
}
