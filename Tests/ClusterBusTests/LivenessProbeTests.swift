import ClusterBus
import XCTest

final class LivenessProbeTests: XCTestCase {
    private func probe() -> LivenessProbe {
        LivenessProbe(intervalMilliseconds: 100, timeoutMilliseconds: 300, reconnectAfterMilliseconds: 1000)
    }

    func testSendsOneProbePerTickWhileUpAndNothingWhileDown() {
        var probe = probe()
        XCTAssertEqual(probe.tick(now: 0, linkUp: false), [])
        XCTAssertEqual(probe.tick(now: 100, linkUp: true), [.send(sequence: 1)])
        XCTAssertEqual(probe.tick(now: 200, linkUp: true), [], "one probe outstanding at a time")
        XCTAssertEqual(probe.received(.all, sequence: 1, now: 210), [])
        XCTAssertEqual(probe.tick(now: 300, linkUp: true), [.send(sequence: 2)])
    }

    func testAProbeNeedsBothPartsBeforeItCountsAsAnswered() {
        var probe = probe()
        _ = probe.tick(now: 0, linkUp: true)
        XCTAssertEqual(probe.received(.reply, sequence: 1, now: 10), [])
        XCTAssertEqual(probe.tick(now: 300, linkUp: true), [.stalled(sinceMilliseconds: 0)], "the echo on the subscriber never came")
        XCTAssertTrue(probe.isStalled)
        XCTAssertEqual(probe.received(.echo, sequence: 1, now: 350), [.recovered(afterMilliseconds: 350)])
        XCTAssertFalse(probe.isStalled)
        XCTAssertEqual(probe.stalls, 1)
    }

    func testStallIsEnteredOnceAtTheTimeoutAndEndsWithTheAnswer() {
        var probe = probe()
        _ = probe.tick(now: 0, linkUp: true)
        XCTAssertEqual(probe.tick(now: 299, linkUp: true), [])
        XCTAssertEqual(probe.tick(now: 300, linkUp: true), [.stalled(sinceMilliseconds: 0)])
        XCTAssertEqual(probe.tick(now: 400, linkUp: true), [], "logged once, not per tick")
        XCTAssertEqual(probe.received(.all, sequence: 1, now: 450), [.recovered(afterMilliseconds: 450)])
        XCTAssertEqual(probe.tick(now: 500, linkUp: true), [.send(sequence: 2)])
    }

    func testAnswersToOlderProbesAreIgnored() {
        var probe = probe()
        _ = probe.tick(now: 0, linkUp: true)
        _ = probe.tick(now: 50, linkUp: false)  // connection lost: probe 1 is void
        XCTAssertEqual(probe.tick(now: 100, linkUp: true), [.send(sequence: 2)])
        XCTAssertEqual(probe.received(.all, sequence: 1, now: 110), [])
        XCTAssertEqual(probe.tick(now: 400, linkUp: true), [.stalled(sinceMilliseconds: 100)])
    }

    func testLongStallAsksForAReconnectAndAgainOnlyAfterAnotherPeriod() {
        var probe = probe()
        _ = probe.tick(now: 0, linkUp: true)
        _ = probe.tick(now: 300, linkUp: true)
        XCTAssertEqual(probe.tick(now: 900, linkUp: true), [])
        XCTAssertEqual(probe.tick(now: 1000, linkUp: true), [.reconnect])
        XCTAssertEqual(probe.tick(now: 1050, linkUp: false), [])
        XCTAssertEqual(probe.tick(now: 1100, linkUp: true), [.send(sequence: 2)], "the new connection is probed; the stall goes on")
        XCTAssertTrue(probe.isStalled)
        XCTAssertEqual(probe.tick(now: 1900, linkUp: true), [])
        XCTAssertEqual(probe.tick(now: 2000, linkUp: true), [.reconnect])
        XCTAssertEqual(probe.reconnects, 2)
        XCTAssertEqual(probe.stalls, 1)
        _ = probe.tick(now: 2100, linkUp: true)
        XCTAssertEqual(probe.received(.all, sequence: 3, now: 2120), [.recovered(afterMilliseconds: 2120)])
    }

    func testReconnectDelayIsNeverShorterThanTheTimeout() {
        let probe = LivenessProbe(intervalMilliseconds: 100, timeoutMilliseconds: 500, reconnectAfterMilliseconds: 10)
        XCTAssertEqual(probe.reconnectAfterMilliseconds, 500)
    }
}
