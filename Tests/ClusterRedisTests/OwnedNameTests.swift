import ClusterBus
import ClusterRedis
import TestSupport
import UVLoop
import XCTest

/// `ClusterBus.claim` (a SockJS session's owner): the same scenario against the in-memory hub
/// and a real redis-server.
final class OwnedNameTests: XCTestCase {
    /// One node claims, the other sees it as owner and cannot claim it, takes it over, and the
    /// first node's release no longer removes it.
    private func claimScenario(_ a: any ClusterBus, _ b: any ClusterBus, settle: (() -> Bool) -> Void) {
        var results: [String?] = []
        a.claim("sockjs:/ws/s1", takeOver: false) { results.append($0) }
        settle { results.count == 1 }
        b.claim("sockjs:/ws/s1", takeOver: false) { results.append($0) }
        settle { results.count == 2 }
        b.owner(of: "sockjs:/ws/s1") { results.append($0) }
        settle { results.count == 3 }
        XCTAssertEqual(results, [a.nodeID, a.nodeID, a.nodeID], "the first claim wins; the second learns the owner")
        b.claim("sockjs:/ws/s1", takeOver: true) { results.append($0) }
        settle { results.count == 4 }
        a.release("sockjs:/ws/s1")
        b.owner(of: "sockjs:/ws/s1") { results.append($0) }
        settle { results.count == 5 }
        XCTAssertEqual(Array(results[3...]), [b.nodeID, b.nodeID], "a release by a node that no longer owns the name does nothing")
        b.release("sockjs:/ws/s1")
        a.owner(of: "sockjs:/ws/s1") { results.append($0) }
        settle { results.count == 6 }
        XCTAssertEqual(results[5], nil)
    }

    func testClaimsOnTheInMemoryHub() {
        let hub = InMemoryClusterHub()
        claimScenario(hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b")) { XCTAssertTrue($0()) }
    }

    func testClaimsOnRedis() throws {
        let redis = try RedisServerProcess.started()
        defer { redis.stop() }
        let loop = try EventLoop()
        let buses = connectedBuses(["a", "b"], redis: redis, loop: loop)
        claimScenario(buses[0], buses[1]) { condition in XCTAssertTrue(spin(loop, until: condition)) }
        for bus in buses { bus.stop() }
        idle(loop, milliseconds: 50)
    }
}
