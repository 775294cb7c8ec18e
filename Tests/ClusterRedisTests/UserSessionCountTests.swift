import ClusterBus
import ClusterRedis
import TestSupport
import UVLoop
import XCTest

/// `ClusterBus.sessionsElsewhere` (`limits.max-connections-per-user` across a cluster): each
/// node's report carries its per-user counts; a node asks for the other nodes' sum. The same
/// scenario against the in-memory hub and a real redis-server.
final class UserSessionCountTests: XCTestCase {
    private func report(_ node: String, _ users: [String: Int]) -> NodeReport {
        NodeReport(id: node, address: "", version: "test", startedAt: 0, reportedAt: 0, connections: users.values.reduce(0, +), subscriptions: 0,
                   messagesInPerSecond: 0, messagesOutPerSecond: 0, redis: "", destinations: [:], users: users)
    }

    /// `written`: what the reports sent has reached the cluster (another node's link may be ahead).
    private func countScenario(_ a: any ClusterBus, _ b: any ClusterBus, written: () -> Void, settle: (() -> Bool) -> Void) {
        var answers: [Int?] = []
        func ask(_ bus: any ClusterBus, _ user: String) -> Int? {
            let before = answers.count
            bus.sessionsElsewhere(ofUser: user) { answers.append($0) }
            settle { answers.count == before + 1 }
            return answers.last ?? nil
        }
        a.report(report(a.nodeID, ["alice": 2, "bob": 1]))
        b.report(report(b.nodeID, ["alice": 1]))
        written()
        XCTAssertEqual(ask(a, "alice"), 1, "a node counts the others, not itself")
        XCTAssertEqual(ask(b, "alice"), 2)
        XCTAssertEqual(ask(b, "bob"), 1)
        XCTAssertEqual(ask(a, "carol"), 0)

        a.report(report(a.nodeID, ["alice": 1]))
        written()
        XCTAssertEqual(ask(b, "alice"), 1, "a changed count is written with the next report")
        XCTAssertEqual(ask(b, "bob"), 0, "a user gone from a node's report no longer counts there")
    }

    func testCountsOnTheInMemoryHub() {
        let hub = InMemoryClusterHub()
        countScenario(hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"), written: {}) { XCTAssertTrue($0()) }
    }

    func testCountsOnRedisAndANodeThatLeavesStopsCounting() throws {
        let redis = try RedisServerProcess.started()
        defer { redis.stop() }
        let loop = try EventLoop()
        let buses = connectedBuses(["a", "b"], redis: redis, loop: loop)
        countScenario(buses[0], buses[1], written: { idle(loop, milliseconds: 50) }) { condition in XCTAssertTrue(spin(loop, until: condition)) }

        var answer: Int?? = .none
        buses[0].stop()
        idle(loop, milliseconds: 50)
        buses[1].sessionsElsewhere(ofUser: "alice") { answer = .some($0) }
        XCTAssertTrue(spin(loop) { answer != nil })
        XCTAssertEqual(answer, .some(0), "a stopped node's sessions stop counting at once")
        XCTAssertEqual(try redis.command(["EXISTS", "stampede:users-of:a"]).integer, 0)

        // The counts expire with the node: a node whose hash vanished (Redis restarted, say)
        // writes it whole again with its next report.
        _ = try redis.command(["DEL", "stampede:users-of:b"])
        buses[1].report(report("b", ["alice": 1]))
        idle(loop, milliseconds: 50)
        buses[1].report(report("b", ["alice": 1]))
        XCTAssertTrue(spin(loop) { (try? redis.command(["HGET", "stampede:users-of:b", "alice"]).string) == "1" })
        buses[1].stop()
        idle(loop, milliseconds: 50)
    }
}
