import ClusterBus
import OfflineMessages
import STOMPWire
import XCTest

final class OfflineDestinationsTests: XCTestCase {
    func testUserIsTakenFromTheStarSegmentAndTheRestMustFollowTheSuffix() {
        let destinations = OfflineDestinations(prefixes: ["/user/*/queue/inbox", "/user/*/queue/alerts"])
        XCTAssertEqual(destinations.user(of: "/user/bob/queue/inbox"), "bob")
        XCTAssertEqual(destinations.user(of: "/user/bob/queue/inbox/work"), "bob")
        XCTAssertEqual(destinations.user(of: "/user/bob/queue/inbox.work"), "bob")
        XCTAssertEqual(destinations.user(of: "/user/ann/queue/alerts"), "ann")
        XCTAssertNil(destinations.user(of: "/user/bob/queue/inboxes"), "a longer word is another destination")
        XCTAssertNil(destinations.user(of: "/user/bob/queue/other"))
        XCTAssertNil(destinations.user(of: "/user//queue/inbox"), "an empty user name")
        XCTAssertNil(destinations.user(of: "/topic/bob/queue/inbox"))
        XCTAssertNil(destinations.user(of: "/user/bob"))
    }

    func testOnlyPrefixesWithOneStarForTheUserAreValid() {
        XCTAssertTrue(OfflineDestinations.isValidPrefix("/user/*/queue/inbox"))
        XCTAssertFalse(OfflineDestinations.isValidPrefix("/user/bob/queue/inbox"))
        XCTAssertFalse(OfflineDestinations.isValidPrefix("/user/*/"))
        XCTAssertFalse(OfflineDestinations.isValidPrefix("/user/*/queue/*"))
        XCTAssertFalse(OfflineDestinations.isValidPrefix("/queue/*/inbox"))
        XCTAssertTrue(OfflineDestinations(prefixes: ["/queue/*/x"]).isEmpty, "invalid prefixes are ignored")
    }
}

final class OfflineInboxTests: XCTestCase {
    func testPastTheCountBoundTheOldestAreDroppedAndReturned() {
        var inbox = OfflineInbox<String>()
        for i in 0..<3 { XCTAssertTrue(inbox.append("m\(i)", destination: "/d", bytes: 10, now: 0, maxCount: 3).dropped.isEmpty) }
        let (_, dropped) = inbox.append("m3", destination: "/d", bytes: 10, now: 0, maxCount: 3)
        XCTAssertEqual(dropped.map(\.message), ["m0"])
        XCTAssertEqual(inbox.count, 3)
        XCTAssertEqual(inbox.bytes, 30)
        XCTAssertEqual(inbox.page(destination: "/d", after: 0, max: 10).entries.map(\.message), ["m1", "m2", "m3"])
    }

    func testEntriesAsOldAsTheTTLExpire() {
        var inbox = OfflineInbox<String>()
        _ = inbox.append("old", destination: "/d", bytes: 5, now: 1_000, maxCount: 10)
        _ = inbox.append("new", destination: "/d", bytes: 5, now: 5_000, maxCount: 10)
        XCTAssertTrue(inbox.expire(now: 5_999, ttl: 5_000).isEmpty)
        XCTAssertEqual(inbox.expire(now: 6_000, ttl: 5_000).map(\.message), ["old"])
        XCTAssertEqual(inbox.page(destination: "/d", after: 0, max: 10).entries.map(\.message), ["new"])
        XCTAssertEqual(inbox.bytes, 5)
    }

    func testPagesHoldOneDestinationInOrderAndContinueAfterTheCursor() throws {
        var inbox = OfflineInbox<String>()
        for i in 0..<5 {
            _ = inbox.append("a\(i)", destination: "/a", bytes: 1, now: 0, maxCount: 100)
            _ = inbox.append("b\(i)", destination: "/b", bytes: 1, now: 0, maxCount: 100)
        }
        let first = inbox.page(destination: "/a", after: 0, max: 2)
        XCTAssertEqual(first.entries.map(\.message), ["a0", "a1"])
        let second = inbox.page(destination: "/a", after: try XCTUnwrap(first.next), max: 2)
        XCTAssertEqual(second.entries.map(\.message), ["a2", "a3"])
        let last = inbox.page(destination: "/a", after: try XCTUnwrap(second.next), max: 2)
        XCTAssertEqual(last.entries.map(\.message), ["a4"])
        XCTAssertNil(last.next)
    }

    func testRemovedIdsAreGoneAndOthersStayInOrder() {
        var inbox = OfflineInbox<String>()
        let ids = (0..<4).map { inbox.append("m\($0)", destination: "/d", bytes: 2, now: 0, maxCount: 10).id }
        XCTAssertEqual(inbox.remove(ids: [ids[1], ids[3], 999]), 4)
        XCTAssertEqual(inbox.page(destination: "/d", after: 0, max: 10).entries.map(\.message), ["m0", "m2"])
    }
}

final class DedupWindowTests: XCTestCase {
    func testAnIdIsADuplicateWithinTheWindowOnly() {
        var window = DedupWindow(windowMilliseconds: 1_000, capacity: 10)
        XCTAssertTrue(window.admit("x", now: 0))
        XCTAssertFalse(window.admit("x", now: 999))
        XCTAssertTrue(window.admit("x", now: 1_000), "the window passed")
        XCTAssertFalse(window.admit("x", now: 1_500))
    }

    func testPastItsCapacityTheOldestIdIsForgotten() {
        var window = DedupWindow(windowMilliseconds: 10_000, capacity: 2)
        XCTAssertTrue(window.admit("a", now: 0))
        XCTAssertTrue(window.admit("b", now: 1))
        XCTAssertTrue(window.admit("c", now: 2))
        XCTAssertEqual(window.count, 2)
        XCTAssertTrue(window.admit("a", now: 3), "a was forgotten")
        XCTAssertFalse(window.admit("c", now: 4))
    }
}

final class MemoryOfflineStoreTests: XCTestCase {
    private var now: UInt64 = 0
    private var subscribed: Set<String> = []

    private func makeStore(_ settings: OfflineSettings = OfflineSettings(prefixes: ["/user/*/queue/inbox"])) -> MemoryOfflineStore {
        MemoryOfflineStore(settings: settings, clock: { [unowned self] in self.now }, hasSubscriber: { [unowned self] in self.subscribed.contains($0) })
    }

    private func envelope(_ body: String, to destination: String = "/user/bob/queue/inbox") -> Envelope {
        Envelope(sourceNode: "n", messageID: body, destination: destination, headers: [STOMPHeader(name: "h", value: "v")], body: Array(body.utf8))
    }

    private func send(_ store: MemoryOfflineStore, _ body: String, dedup: String? = nil, to destination: String = "/user/bob/queue/inbox") -> OfflineSendOutcome {
        var outcome: OfflineSendOutcome?
        store.send(envelope(body, to: destination), user: "bob", dedupID: dedup) { outcome = $0 }
        return outcome!
    }

    private func load(_ store: MemoryOfflineStore, _ destination: String = "/user/bob/queue/inbox", after: String? = nil, max: Int = 100) throws -> OfflinePage {
        var page: Result<OfflinePage, OfflineStoreError>?
        store.load(user: "bob", destination: destination, after: after, max: max) { page = $0 }
        return try XCTUnwrap(page).get()
    }

    func testAMessageForANonSubscribedDestinationIsStoredAndLoadedInOrder() throws {
        let store = makeStore()
        XCTAssertEqual(send(store, "m1"), .stored(dropped: 0))
        XCTAssertEqual(send(store, "m2"), .stored(dropped: 0))
        XCTAssertEqual(try load(store).messages.map { String(decoding: $0.envelope.body, as: UTF8.self) }, ["m1", "m2"])
        XCTAssertEqual(store.counters.stored, 2)
    }

    func testAMessageForASubscribedDestinationIsLiveAndNotStored() throws {
        let store = makeStore()
        subscribed = ["/user/bob/queue/inbox"]
        XCTAssertEqual(send(store, "m1"), .live(receivers: 1))
        XCTAssertEqual(store.storedCount(of: "bob"), 0)
    }

    func testADuplicateIdWithinTheWindowIsDroppedLiveOrStored() throws {
        let store = makeStore(OfflineSettings(prefixes: ["/user/*/queue/inbox"], dedupWindowSeconds: 10))
        XCTAssertEqual(send(store, "m1", dedup: "id-1"), .stored(dropped: 0))
        XCTAssertEqual(send(store, "m1 again", dedup: "id-1"), .duplicate)
        subscribed = ["/user/bob/queue/inbox"]
        XCTAssertEqual(send(store, "m1 live", dedup: "id-1"), .duplicate)
        now = 10_000
        XCTAssertEqual(send(store, "m1 later", dedup: "id-1"), .live(receivers: 1), "the window passed")
        XCTAssertEqual(store.counters.duplicates, 2)
        XCTAssertEqual(store.storedCount(of: "bob"), 1)
    }

    func testCountBoundDropsTheOldestAndCountsIt() throws {
        let store = makeStore(OfflineSettings(prefixes: ["/user/*/queue/inbox"], maxMessagesPerUser: 2))
        _ = send(store, "m1"); _ = send(store, "m2")
        XCTAssertEqual(send(store, "m3"), .stored(dropped: 1))
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["m2", "m3"])
        XCTAssertEqual(store.counters.droppedOverflow, 1)
    }

    func testMessagesPastTheirAgeAreNeverLoadedAndAreCounted() throws {
        let store = makeStore(OfflineSettings(prefixes: ["/user/*/queue/inbox"], ttlSeconds: 60))
        _ = send(store, "old")
        now = 30_000
        _ = send(store, "young")
        now = 60_000
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["young"])
        XCTAssertEqual(store.counters.expired, 1)
        now = 90_000
        store.maintain(now: now)
        XCTAssertEqual(store.storedCount(of: "bob"), 0, "maintenance expires without a load")
        XCTAssertEqual(store.bytes, 0)
    }

    func testRemovedMessagesAreNotLoadedAgainAndOthersStay() throws {
        let store = makeStore()
        for i in 1...3 { _ = send(store, "m\(i)") }
        let ids = try load(store).messages.map(\.id)
        store.remove(user: "bob", ids: [ids[0], ids[2]])
        XCTAssertEqual(try load(store).messages.map(\.envelope.messageID), ["m2"])
        XCTAssertEqual(store.counters.removed, 2)
    }

    func testLoadsArePagedPerDestination() throws {
        let store = makeStore()
        for i in 1...3 {
            _ = send(store, "in\(i)")
            _ = send(store, "other\(i)", to: "/user/bob/queue/inbox.other")
        }
        let first = try load(store, max: 2)
        XCTAssertEqual(first.messages.map(\.envelope.messageID), ["in1", "in2"])
        let rest = try load(store, after: first.next, max: 2)
        XCTAssertEqual(rest.messages.map(\.envelope.messageID), ["in3"])
        XCTAssertNil(rest.next)
    }

    func testPastTheMemoryBoundNewMessagesAreRefusedAndCounted() throws {
        let store = makeStore(OfflineSettings(prefixes: ["/user/*/queue/inbox"], memoryMaxBytes: 600))
        var outcomes: [OfflineSendOutcome] = []
        for i in 0..<10 { outcomes.append(send(store, "m\(i)")) }
        XCTAssertTrue(outcomes.contains { if case .failed = $0 { true } else { false } })
        XCTAssertLessThanOrEqual(store.bytes, 600)
        XCTAssertGreaterThan(store.counters.failed, 0)
    }
}
