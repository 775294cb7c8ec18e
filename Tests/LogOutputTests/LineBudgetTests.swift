import LogOutput
import XCTest

final class LineBudgetTests: XCTestCase {
    func testABurstOfOneSecondsWorthPassesThenLinesAreLeftOutAndCounted() {
        var budget = LineBudget(perSecond: 3)
        XCTAssertEqual((0..<3).map { _ in budget.admit(nowMilliseconds: 1_000).allowed }, [true, true, true])
        XCTAssertFalse(budget.admit(nowMilliseconds: 1_000).allowed)
        XCTAssertFalse(budget.admit(nowMilliseconds: 1_100).allowed)
        XCTAssertEqual(budget.suppressedTotal, 2)
    }

    func testTheBudgetRefillsOverTimeAndTheNextLineSaysHowManyWereLeftOut() {
        var budget = LineBudget(perSecond: 10)
        for _ in 0..<10 { _ = budget.admit(nowMilliseconds: 0) }
        XCTAssertFalse(budget.admit(nowMilliseconds: 0).allowed)
        XCTAssertFalse(budget.admit(nowMilliseconds: 50).allowed)
        let next = budget.admit(nowMilliseconds: 150)  // 1.5 tokens back
        XCTAssertTrue(next.allowed)
        XCTAssertEqual(next.suppressedBefore, 2)
        XCTAssertEqual(budget.admit(nowMilliseconds: 150).suppressedBefore, 0)
    }

    func testRefillIsCappedAtOneSecondsWorthAndZeroLetsNothingThrough() {
        var budget = LineBudget(perSecond: 2)
        XCTAssertEqual((0..<3).map { _ in budget.admit(nowMilliseconds: 60_000).allowed }, [true, true, false])
        var silent = LineBudget(perSecond: 0)
        XCTAssertFalse(silent.admit(nowMilliseconds: 0).allowed)
        XCTAssertEqual(silent.suppressedTotal, 1)
    }
}
