import FlowControl
import XCTest

final class MemoryBudgetTests: XCTestCase {
    func testWatermarksDefaultToHalfAndQuarterOfTheBudget() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)
        XCTAssertEqual(budget.highWatermarkBytes, 500)
        XCTAssertEqual(budget.lowWatermarkBytes, 250)
    }

    func testWatermarksAreClampedUnderTheBudgetAndEachOther() {
        let budget = MemoryBudget(maxBufferedBytes: 1000, highWatermarkBytes: 5000, lowWatermarkBytes: 9000)
        XCTAssertEqual(budget.highWatermarkBytes, 1000)
        XCTAssertEqual(budget.lowWatermarkBytes, 1000)
    }

    func testDefaultBudgetIsAQuarterOfTheSmallerMemoryFigureCappedAt256MiB() {
        XCTAssertEqual(MemoryBudget.defaultMaxBufferedBytes(physicalMemoryBytes: 24 << 30, cgroupLimitBytes: nil), 256 << 20)
        XCTAssertEqual(MemoryBudget.defaultMaxBufferedBytes(physicalMemoryBytes: 24 << 30, cgroupLimitBytes: 512 << 20), 128 << 20)
        XCTAssertEqual(MemoryBudget.defaultMaxBufferedBytes(physicalMemoryBytes: nil, cgroupLimitBytes: nil), 256 << 20)
        XCTAssertEqual(MemoryBudget.defaultMaxBufferedBytes(physicalMemoryBytes: 8 << 20, cgroupLimitBytes: nil), 16 << 20)
    }

    func testNothingIsCutWithinTheBudget() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)
        XCTAssertEqual(budget.connectionsToCut(holdings: [(id: 1, bytes: 900)], totalBytes: 1000), [])
    }

    func testLargestHoldersAreCutFirstUntilUnderTheBudget() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)
        let holdings = [(id: 1, bytes: 300), (id: 2, bytes: 700), (id: 3, bytes: 600), (id: 4, bytes: 10)]
        // 1,610 held, 610 over: cutting 2 (700) is enough.
        XCTAssertEqual(budget.connectionsToCut(holdings: holdings, totalBytes: 1610), [2])
        // 2,000 held, 1,000 over: 2 then 3.
        XCTAssertEqual(budget.connectionsToCut(holdings: holdings, totalBytes: 2000), [2, 3])
    }

    func testClientsWithinTheirFairShareAreNeverCut() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)
        // Fair share with 4 connections: 250. Only 1 is above it, even though cutting it is not enough.
        let holdings = [(id: 1, bytes: 900), (id: 2, bytes: 240), (id: 3, bytes: 240), (id: 4, bytes: 240)]
        XCTAssertEqual(budget.connectionsToCut(holdings: holdings, totalBytes: 5000), [1])
    }

    func testAReaderHoldingMoreThanItsShareIsPausedOnlyAboveTheHighWatermark() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)  // high 500, low 250; share of 4: 250
        XCTAssertFalse(budget.shouldPauseReader(inboundBytes: 400, totalBytes: 500, connections: 4), "at the watermark, a big frame is read on")
        XCTAssertTrue(budget.shouldPauseReader(inboundBytes: 400, totalBytes: 501, connections: 4))
        XCTAssertFalse(budget.shouldPauseReader(inboundBytes: 250, totalBytes: 900, connections: 4), "within its share, never paused")
    }

    func testPausedReadersResumeWhenEverythingElseIsAtTheLowWatermark() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)  // high 500, low 250
        XCTAssertEqual(budget.readerResumption(totalBytes: 251, pausedReadersBytes: 0), .none)
        XCTAssertEqual(budget.readerResumption(totalBytes: 250, pausedReadersBytes: 0), .all)
        XCTAssertEqual(budget.readerResumption(totalBytes: 500, pausedReadersBytes: 250), .all, "their own partial frames do not hold them")
        XCTAssertEqual(budget.readerResumption(totalBytes: 500, pausedReadersBytes: 249), .none, "until the rest is at the low watermark")
    }

    func testPartialFramesAloneOverTheHighWatermarkGoOnOneAtATime() {
        let budget = MemoryBudget(maxBufferedBytes: 1000)
        XCTAssertEqual(budget.readerResumption(totalBytes: 900, pausedReadersBytes: 900), .largestAlone, "never all stuck until their deadline")
        XCTAssertEqual(budget.readerResumption(totalBytes: 900, pausedReadersBytes: 600), .none)
    }
}

final class PublisherGateTests: XCTestCase {
    let gate = PublisherGate(budget: MemoryBudget(maxBufferedBytes: 1000), behindBytes: 100)

    func testPublisherIsPausedOnlyAboveTheHighWatermarkWithABehindSubscriber() {
        XCTAssertFalse(gate.shouldPause(totalBytes: 500, slowestSubscriberBytes: 400, connections: 1, slowestIsReading: false))
        XCTAssertFalse(gate.shouldPause(totalBytes: 600, slowestSubscriberBytes: 100, connections: 1, slowestIsReading: false), "its subscribers keep up")
        XCTAssertTrue(gate.shouldPause(totalBytes: 600, slowestSubscriberBytes: 101, connections: 1, slowestIsReading: false))
    }

    func testPausedPublisherResumesUnderTheLowWatermark() {
        XCTAssertFalse(gate.shouldResume(totalBytes: 400, blockingSubscriberBytes: 90, connections: 1, blockingIsReading: false))
        XCTAssertTrue(gate.shouldResume(totalBytes: 249, blockingSubscriberBytes: 900, connections: 1, blockingIsReading: false))
    }

    func testPausedPublisherResumesWhenItsSubscriberCaughtUpOrLeft() {
        XCTAssertTrue(gate.shouldResume(totalBytes: 900, blockingSubscriberBytes: 50, connections: 1, blockingIsReading: false))
        XCTAssertTrue(gate.shouldResume(totalBytes: 900, blockingSubscriberBytes: nil, connections: 1, blockingIsReading: false))
        XCTAssertFalse(gate.shouldResume(totalBytes: 900, blockingSubscriberBytes: 51, connections: 1, blockingIsReading: false))
    }

    func testWithManyConnectionsASubscriberIsBehindAtHalfItsFairShare() {
        // Budget 1000 over 20 connections: fair share 50, behind past 25 (not 100).
        XCTAssertEqual(gate.behindThreshold(connections: 20), 25)
        XCTAssertTrue(gate.shouldPause(totalBytes: 600, slowestSubscriberBytes: 26, connections: 20, slowestIsReading: false))
        XCTAssertFalse(gate.shouldPause(totalBytes: 600, slowestSubscriberBytes: 25, connections: 20, slowestIsReading: false))
        XCTAssertFalse(gate.shouldResume(totalBytes: 600, blockingSubscriberBytes: 13, connections: 20, blockingIsReading: false))
        XCTAssertTrue(gate.shouldResume(totalBytes: 600, blockingSubscriberBytes: 12, connections: 20, blockingIsReading: false))
    }

    func testUnderTheWatermarkOnlyASubscriberStillReadingHoldsThePublisher() {
        XCTAssertTrue(gate.shouldPause(totalBytes: 10, slowestSubscriberBytes: 101, connections: 1, slowestIsReading: true), "slow: the publisher waits")
        XCTAssertFalse(gate.shouldPause(totalBytes: 10, slowestSubscriberBytes: 101, connections: 1, slowestIsReading: false), "dead: it is cut at its limit instead")
        XCTAssertFalse(gate.shouldPause(totalBytes: 10, slowestSubscriberBytes: 100, connections: 1, slowestIsReading: true))
        XCTAssertFalse(gate.shouldResume(totalBytes: 10, blockingSubscriberBytes: 101, connections: 1, blockingIsReading: true), "under the low watermark, a slow reader still holds it")
        XCTAssertTrue(gate.shouldResume(totalBytes: 10, blockingSubscriberBytes: 101, connections: 1, blockingIsReading: false), "one that stopped reading does not")
    }

    func testAPauseLongerThanTheLimitOverstaysAndNoLimitNeverDoes() {
        let bounded = PublisherGate(budget: MemoryBudget(maxBufferedBytes: 1000), behindBytes: 100, maxPauseMilliseconds: 500)
        XCTAssertFalse(bounded.pauseOverstayed(pausedSince: 1000, now: 1499))
        XCTAssertTrue(bounded.pauseOverstayed(pausedSince: 1000, now: 1500))
        XCTAssertFalse(gate.pauseOverstayed(pausedSince: 0, now: 10_000_000), "0: no limit")
    }
}

final class SlowConsumerRuleTests: XCTestCase {
    let rule = SlowConsumerRule(limitBytes: 100, graceMilliseconds: 500)

    func testWithinTheLimitIsFine() {
        XCTAssertEqual(rule.judge(heldBytes: 100, overSince: 10, now: 5000), .withinLimit)
    }

    func testOverTheLimitStartsTheGraceTime() {
        XCTAssertEqual(rule.judge(heldBytes: 150, overSince: nil, now: 1000), .overLimit(since: 1000))
        XCTAssertEqual(rule.judge(heldBytes: 150, overSince: 1000, now: 1499), .overLimit(since: 1000))
    }

    func testOverTheLimitForTheGraceTimeIsASlowConsumer() {
        XCTAssertEqual(rule.judge(heldBytes: 150, overSince: 1000, now: 1500), .slowConsumer)
    }

    func testOverTwiceTheLimitIsASlowConsumerAtOnce() {
        XCTAssertEqual(rule.judge(heldBytes: 201, overSince: nil, now: 1000), .slowConsumer)
    }

    func testWithoutGraceTimeTheLimitIsHard() {
        let hard = SlowConsumerRule(limitBytes: 100, graceMilliseconds: 0)
        XCTAssertEqual(hard.judge(heldBytes: 101, overSince: nil, now: 1000), .slowConsumer)
    }
}

final class PartialFrameClockTests: XCTestCase {
    func testAFrameStartedAndNotFinishedExpiresAfterTheTimeout() {
        var clock = PartialFrameClock(timeoutMilliseconds: 300)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 1000)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 1200)
        XCTAssertFalse(clock.isExpired(now: 1300))
        XCTAssertTrue(clock.isExpired(now: 1301), "more bytes of the same frame do not extend it")
    }

    func testCompletingAFrameStartsTheClockForTheNextOne() {
        var clock = PartialFrameClock(timeoutMilliseconds: 300)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 1000)
        clock.noteInput(insideFrame: true, completedFrame: true, now: 1250)
        XCTAssertFalse(clock.isExpired(now: 1500))
        XCTAssertTrue(clock.isExpired(now: 1551))
    }

    func testBetweenFramesNothingExpires() {
        var clock = PartialFrameClock(timeoutMilliseconds: 300)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 1000)
        clock.noteInput(insideFrame: false, completedFrame: true, now: 1100)
        XCTAssertFalse(clock.isExpired(now: 99_999))
    }

    func testAPauseByTheNodeRestartsTheClock() {
        var clock = PartialFrameClock(timeoutMilliseconds: 300)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 1000)
        clock.restart(now: 2000)
        XCTAssertFalse(clock.isExpired(now: 2300))
        XCTAssertTrue(clock.isExpired(now: 2301))
    }

    func testZeroTurnsTheDeadlineOff() {
        var clock = PartialFrameClock(timeoutMilliseconds: 0)
        clock.noteInput(insideFrame: true, completedFrame: false, now: 0)
        XCTAssertFalse(clock.isExpired(now: 1 << 40))
    }
}
