import ClusterBus
import ClusterRedis
import OfflineMessages
import TestSupport
import UVLoop
import XCTest

/// `RedisOfflineStore` against a real redis-server: the live-or-keep script, its exact bounds
/// and counts, age limits by stream id, paging and deletion.
final class RedisOfflineStoreTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var loop: EventLoop!
    private var bus: RedisClusterBus!

    override func setUpWithError() throws {
        redis = try RedisServerProcess.started()
        loop = try EventLoop()
        bus = RedisClusterBus(loop: loop, settings: .init(nodeID: "a", endpoint: redis.endpoint))
        bus.start()
        spin(loop) { self.bus.state == .connected }
    }

    override func tearDown() {
        bus.stop()
        idle(loop, milliseconds: 50)
        redis.stop()
    }

    private func envelope(_ body: String, to destination: String = "/user/bob/queue/inbox") -> Envelope {
        Envelope(sourceNode: "a", messageID: body, destination: destination, headers: [], body: Array(body.utf8))
    }

    private func send(_ store: RedisOfflineStore, _ body: String, dedup: String? = nil) -> OfflineSendOutcome? {
        var outcome: OfflineSendOutcome?
        store.send(envelope(body), user: "bob", dedupID: dedup) { outcome = $0 }
        spin(loop) { outcome != nil }
        return outcome
    }

    private func load(_ store: RedisOfflineStore, after: String? = nil, max: Int = 100) throws -> OfflinePage {
        var result: Result<OfflinePage, OfflineStoreError>?
        store.load(user: "bob", destination: "/user/bob/queue/inbox", after: after, max: max) { result = $0 }
        spin(loop) { result != nil }
        return try XCTUnwrap(result).get()
    }

    func testWithoutAReceiverMessagesAreKeptExactlyBoundedAndTheDropsCounted() throws {
        let store = RedisOfflineStore(bus: bus, settings: OfflineSettings(prefixes: ["/user/*/queue/inbox"], maxMessagesPerUser: 3))
        for i in 1...3 { XCTAssertEqual(send(store, "m\(i)"), .stored(dropped: 0)) }
        XCTAssertEqual(send(store, "m4"), .stored(dropped: 1))
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["m2", "m3", "m4"])
        XCTAssertEqual(store.counters.droppedOverflow, 1)
        XCTAssertEqual(try redis.command(["XLEN", "stampede:o:bob"]).integer, 3)
        XCTAssertGreaterThan(try redis.command(["PTTL", "stampede:o:bob"]).integer ?? 0, 0, "an idle user's stream expires on its own")
    }

    func testANodeHoldingTheDestinationsChannelMakesItLive() throws {
        let store = RedisOfflineStore(bus: bus, settings: OfflineSettings(prefixes: ["/user/*/queue/inbox"]))
        var confirmed = false
        bus.setInterest(.destination("/user/bob/queue/inbox"), active: true) { confirmed = true }
        spin(loop) { confirmed }
        XCTAssertEqual(send(store, "live"), .live(receivers: 1))
        XCTAssertEqual(try redis.command(["EXISTS", "stampede:o:bob"]).integer, 0)
    }

    func testDuplicatesWithinTheWindowAreDroppedBeforeAnythingElse() throws {
        let store = RedisOfflineStore(bus: bus, settings: OfflineSettings(prefixes: ["/user/*/queue/inbox"]))
        XCTAssertEqual(send(store, "first", dedup: "x"), .stored(dropped: 0))
        XCTAssertEqual(send(store, "retry", dedup: "x"), .duplicate)
        XCTAssertEqual(send(store, "other", dedup: "y"), .stored(dropped: 0))
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["first", "other"])
        XCTAssertEqual(store.counters.duplicates, 1)
    }

    /// Trimmed by stream id at the next write (counted); a stream idle for the whole TTL
    /// expires as a key (uncounted: nobody looks).
    func testMessagesPastTheirAgeAreTrimmedAndCountedAndIdleStreamsExpire() throws {
        let store = RedisOfflineStore(bus: bus, settings: OfflineSettings(prefixes: ["/user/*/queue/inbox"], ttlSeconds: 1))
        _ = send(store, "old")
        idle(loop, milliseconds: 600)  // the age limit is the point of the test
        _ = send(store, "middle")
        idle(loop, milliseconds: 600)
        _ = send(store, "young")
        XCTAssertEqual(store.counters.expired, 1)
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["middle", "young"])
        idle(loop, milliseconds: 1_100)
        XCTAssertEqual(try redis.command(["EXISTS", "stampede:o:bob"]).integer, 0)
    }

    func testPagesContinueAfterTheCursorAndRemovedMessagesAreGone() throws {
        let store = RedisOfflineStore(bus: bus, settings: OfflineSettings(prefixes: ["/user/*/queue/inbox"]))
        for i in 1...5 { _ = send(store, "m\(i)") }
        let first = try load(store, max: 2)
        XCTAssertEqual(first.messages.map(\.envelope.messageID), ["m1", "m2"])
        let second = try load(store, after: first.next, max: 2)
        XCTAssertEqual(second.messages.map(\.envelope.messageID), ["m3", "m4"])
        store.remove(user: "bob", ids: first.messages.map(\.id))
        spin(loop) { store.counters.removed == 2 }
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["m3", "m4", "m5"])
    }
}
