@testable import Router
import XCTest

final class UnackedLogTests: XCTestCase {
    private func log(_ tokens: ClosedRange<UInt64>) -> UnackedLog<String> {
        var log = UnackedLog<String>()
        for token in tokens { log.append(token: token, "m\(token)") }
        return log
    }

    private func tokens(_ log: UnackedLog<String>) -> [UInt64] {
        var result: [UInt64] = []
        log.forEach { result.append($0.token) }
        return result
    }

    func testRemoveSingleAtFrontAndMiddle() {
        var log = log(1...5)
        XCTAssertEqual(log.remove(token: 1), "m1")
        XCTAssertEqual(log.remove(token: 3), "m3")
        XCTAssertNil(log.remove(token: 3))
        XCTAssertEqual(tokens(log), [2, 4, 5])
        XCTAssertEqual(log.first?.token, 2)
    }

    func testRemoveThroughTakesTheTokenAndOlderOnes() {
        var log = log(1...5)
        XCTAssertEqual(log.removeThrough(token: 3)?.map(\.element), ["m1", "m2", "m3"])
        XCTAssertEqual(tokens(log), [4, 5])
    }

    func testDiscardThroughCountsWhatItRemoves() {
        var log = log(1...5)
        _ = log.remove(token: 2)
        XCTAssertEqual(log.discardThrough(token: 4), 3)
        XCTAssertNil(log.discardThrough(token: 4))
        XCTAssertEqual(tokens(log), [5])
    }

    func testUnknownTokenChangesNothing() {
        var log = log(1...3)
        _ = log.remove(token: 2)
        XCTAssertNil(log.removeThrough(token: 2))
        XCTAssertNil(log.removeThrough(token: 99))
        XCTAssertNil(log.remove(token: 0))
        XCTAssertEqual(tokens(log), [1, 3])
    }

    func testRemoveAllReturnsDeliveryOrder() {
        var log = log(1...4)
        _ = log.remove(token: 2)
        XCTAssertEqual(log.removeAll().map(\.token), [1, 3, 4])
        XCTAssertTrue(log.isEmpty)
        log.append(token: 9, "m9")
        XCTAssertEqual(log.count, 1)
    }

    func testFirstTokenWhere() {
        let log = log(1...4)
        XCTAssertEqual(log.firstToken { $0 == "m3" }, 3)
        XCTAssertNil(log.firstToken { $0 == "m9" })
    }

    func testManyInOrderRemovalsStayCorrectAcrossCompaction() {
        var log = log(1...1000)
        for token in UInt64(1)...700 { XCTAssertEqual(log.removeFirst()?.token, token) }
        XCTAssertEqual(log.count, 300)
        XCTAssertTrue(log.contains(token: 850))
        XCTAssertFalse(log.contains(token: 700))
        XCTAssertEqual(log.removeThrough(token: 900)?.count, 200)
        XCTAssertEqual(tokens(log), Array(901...1000))
    }

    func testRingBufferKeepsOrderAtBothEndsAcrossGrowth() {
        var ring = RingBuffer<Int>()
        for value in 1...5 { ring.append(value) }
        XCTAssertEqual(ring.popFirst(), 1)
        for value in 6...20 { ring.append(value) }
        ring.prepend(1)
        ring.prepend(0)
        XCTAssertEqual(ring.elements, Array(0...20))
        var popped: [Int] = []
        while let value = ring.popFirst() { popped.append(value) }
        XCTAssertEqual(popped, Array(0...20))
        XCTAssertTrue(ring.isEmpty)
    }
}
