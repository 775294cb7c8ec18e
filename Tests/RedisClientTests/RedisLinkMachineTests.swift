@testable import RedisClient
import XCTest

/// A deterministic generator (SplitMix64) so jitter is repeatable.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class RedisLinkMachineTests: XCTestCase {
    func testBackoffCeilingDoublesFrom50UpToMaximum() {
        let backoff = ReconnectBackoff(maximumMilliseconds: 2000)
        XCTAssertEqual((0..<8).map { backoff.ceilingMilliseconds(afterFailures: $0) }, [50, 100, 200, 400, 800, 1600, 2000, 2000])
        XCTAssertEqual(backoff.ceilingMilliseconds(afterFailures: 1000), 2000)
    }

    func testBackoffDelaysStayInUpperHalfOfCeilingAndResetAfterSuccess() {
        var backoff = ReconnectBackoff(maximumMilliseconds: 400)
        var random = SeededRandom(state: 7)
        var seen: Set<UInt64> = []
        for _ in 0..<50 {
            let ceiling = backoff.ceilingMilliseconds(afterFailures: backoff.attempt)
            let delay = backoff.nextDelay(using: &random)
            XCTAssertGreaterThanOrEqual(delay, ceiling - ceiling / 2)
            XCTAssertLessThanOrEqual(delay, ceiling)
            if ceiling == 400 { seen.insert(delay) }
        }
        XCTAssertGreaterThan(seen.count, 5, "jitter varies the capped delay")
        backoff.reset()
        XCTAssertLessThanOrEqual(backoff.nextDelay(using: &random), 50)
    }

    func testBackoffMaximumBelowInitialCapsInitial() {
        let backoff = ReconnectBackoff(maximumMilliseconds: 20)
        XCTAssertEqual(backoff.ceilingMilliseconds(afterFailures: 0), 20)
        XCTAssertEqual(ReconnectBackoff(maximumMilliseconds: 0).ceilingMilliseconds(afterFailures: 3), 1)
    }

    private func machine() -> RedisLinkMachine<SeededRandom> {
        RedisLinkMachine(connectTimeoutMilliseconds: 2000, reconnectMaxMilliseconds: 2000, random: SeededRandom(state: 1))
    }

    func testStartArmsConnectTimeoutThenOpensContextOnce() {
        var machine = machine()
        XCTAssertEqual(machine.state, .disconnected(reason: "not started"))
        XCTAssertEqual(machine.start(), [.armTimer(milliseconds: 2000), .openContext])
        XCTAssertEqual(machine.state, .connecting)
        XCTAssertEqual(machine.start(), [])
    }

    func testConnectFailureWaitsThenRetries() {
        var machine = machine()
        _ = machine.start()
        let actions = machine.connectFailed(reason: "Connection refused")
        XCTAssertEqual(machine.state, .disconnected(reason: "Connection refused"))
        guard case .armTimer(let delay) = actions.first, actions.count == 1 else { return XCTFail("\(actions)") }
        XCTAssertTrue((25...50).contains(delay))
        XCTAssertEqual(machine.timerFired(), [.armTimer(milliseconds: 2000), .openContext])
        XCTAssertEqual(machine.state, .connecting)
    }

    func testDroppingAStalledSessionFreesTheContextEndsTheSessionAndReconnects() {
        var machine = machine()
        XCTAssertEqual(machine.dropped(reason: "no answer"), [], "nothing to drop before connecting")
        _ = machine.start()
        _ = machine.connected()
        let actions = machine.dropped(reason: "no answer for 10000 ms")
        XCTAssertEqual(Array(actions.prefix(2)), [.abandonContext, .sessionLost])
        guard case .armTimer = actions.last, actions.count == 3 else { return XCTFail("\(actions)") }
        XCTAssertEqual(machine.state, .disconnected(reason: "no answer for 10000 ms"))
        XCTAssertEqual(machine.timerFired(), [.armTimer(milliseconds: 2000), .openContext])
    }

    func testConnectTimeoutGivesUpContextAndWaits() {
        var machine = machine()
        _ = machine.start()
        let actions = machine.timerFired()
        XCTAssertEqual(actions.first, .abandonContext)
        XCTAssertEqual(machine.state, .disconnected(reason: "connect timed out after 2000 ms"))
    }

    func testDisconnectEndsSessionAndBackoffRestartsFromInitialAfterSuccess() {
        var machine = machine()
        _ = machine.start()
        _ = machine.connectFailed(reason: "refused")
        _ = machine.timerFired()
        _ = machine.connectFailed(reason: "refused")
        XCTAssertEqual(machine.failedAttempts, 2)
        _ = machine.timerFired()
        XCTAssertEqual(machine.connected(), [.stopTimer, .sessionReady])
        XCTAssertEqual(machine.failedAttempts, 0)
        let actions = machine.disconnected(reason: "Server closed the connection")
        XCTAssertEqual(actions.first, .sessionLost)
        guard case .armTimer(let delay) = actions.last else { return XCTFail("\(actions)") }
        XCTAssertLessThanOrEqual(delay, 50)
    }

    func testCloseFromEachStateAndEventsAfterCloseDoNothing() {
        var idle = machine()
        XCTAssertEqual(idle.close(), [.stopTimer])
        XCTAssertEqual(idle.start(), [])

        var connecting = machine()
        _ = connecting.start()
        XCTAssertEqual(connecting.close(), [.stopTimer, .abandonContext])

        var connected = machine()
        _ = connected.start()
        _ = connected.connected()
        XCTAssertEqual(connected.close(), [.stopTimer, .abandonContext, .sessionLost])
        XCTAssertEqual(connected.state, .closed)
        XCTAssertEqual(connected.close(), [])
        XCTAssertEqual(connected.timerFired(), [])
        XCTAssertEqual(connected.disconnected(reason: "x"), [])
        XCTAssertEqual(connected.connectFailed(reason: "x"), [])
        XCTAssertEqual(connected.connected(), [])
    }

    func testStaleEventsAreIgnored() {
        var machine = machine()
        XCTAssertEqual(machine.timerFired(), [], "not started")
        XCTAssertEqual(machine.connected(), [])
        _ = machine.start()
        XCTAssertEqual(machine.disconnected(reason: "x"), [], "not connected yet")
        _ = machine.connected()
        XCTAssertEqual(machine.connectFailed(reason: "x"), [])
        XCTAssertEqual(machine.timerFired(), [])
    }
}

final class SubscriptionTableTests: XCTestCase {
    let a = Array("a".utf8)

    func testNewNameIsSentOnlyWhenConnected() {
        var table = SubscriptionTable()
        XCTAssertEqual(table.add(a, confirmation: nil, connected: false), .wait)
        XCTAssertEqual(table.add(Array("b".utf8), confirmation: nil, connected: true), .send)
        XCTAssertEqual(table.count, 2)
    }

    func testAckRunsEveryPendingConfirmationOnceThenLaterOnesRunNow() {
        var table = SubscriptionTable()
        var confirmed = 0
        XCTAssertEqual(table.add(a, confirmation: { confirmed += 1 }, connected: true), .send)
        XCTAssertEqual(table.add(a, confirmation: { confirmed += 10 }, connected: true), .wait)
        table.didSend([a])
        table.acknowledge(a).forEach { $0() }
        XCTAssertEqual(confirmed, 11)
        XCTAssertTrue(table.isAcknowledged(a))
        XCTAssertEqual(table.acknowledge(a).count, 0, "a second ack confirms nothing")
        XCTAssertEqual(table.add(a, confirmation: { confirmed += 100 }, connected: true), .confirmNow)
        XCTAssertEqual(table.add(a, confirmation: nil, connected: true), .wait)
    }

    func testConfirmationsSurviveSessionLossAndRunAfterResubscribe() {
        var table = SubscriptionTable()
        var confirmed = 0
        _ = table.add(a, confirmation: { confirmed += 1 }, connected: true)
        table.didSend([a])
        table.sessionEnded()
        XCTAssertEqual(table.acknowledge(a).count, 0, "acks of a lost session do not count")
        table.didSend(table.names)
        table.acknowledge(a).forEach { $0() }
        XCTAssertEqual(confirmed, 1)
        table.sessionEnded()
        XCTAssertFalse(table.isAcknowledged(a))
        XCTAssertEqual(table.acknowledgedCount, 0)
    }

    func testResubscribeAfterUnsubscribeConfirmsOnlyOnTheLastAck() {
        var table = SubscriptionTable()
        var confirmed = 0
        _ = table.add(a, confirmation: nil, connected: true)
        table.didSend([a])
        XCTAssertTrue(table.remove(a))
        XCTAssertFalse(table.remove(a))
        XCTAssertEqual(table.add(a, confirmation: { confirmed += 1 }, connected: true), .send)
        table.didSend([a])
        table.acknowledge(a).forEach { $0() }
        XCTAssertEqual(confirmed, 0, "the first ack precedes the unsubscribe")
        table.acknowledge(a).forEach { $0() }
        XCTAssertEqual(confirmed, 1)
    }

    func testRemovedNameIsNotWantedAndDropsItsConfirmations() {
        var table = SubscriptionTable()
        var confirmed = 0
        _ = table.add(a, confirmation: { confirmed += 1 }, connected: true)
        table.didSend([a])
        _ = table.remove(a)
        XCTAssertFalse(table.wants(a))
        table.acknowledge(a).forEach { $0() }
        XCTAssertEqual(confirmed, 0)
        XCTAssertEqual(table.count, 0)
    }
}
