import Router
import XCTest

final class QueueDispatcherTests: XCTestCase {
    typealias Dispatcher = QueueDispatcher<String, Int>

    private func makeDispatcher(capacity: Int = 100, overflow: OverflowPolicy = .dropOldest, maxUnacked: Int = .max) -> Dispatcher {
        Dispatcher(bufferCapacity: capacity, overflow: overflow, maxUnackedPerConsumer: maxUnacked)
    }

    /// "consumer:message", with a trailing "!" for redeliveries.
    private func describe(_ assignments: [Dispatcher.Assignment]) -> [String] {
        assignments.map { "\($0.consumer):\($0.message)\($0.redelivered ? "!" : "")" }
    }

    /// Enqueues `messages`; returns what was assigned at once.
    private func enqueue(_ messages: some Sequence<Int>, into dispatcher: inout Dispatcher) -> [Dispatcher.Assignment] {
        var assigned: [Dispatcher.Assignment] = []
        for message in messages {
            if case .assigned(let assignment) = dispatcher.enqueue(message) { assigned.append(assignment) }
        }
        return assigned
    }

    func testRoundRobinIsFairAcrossThreeConsumers() {
        var queue = makeDispatcher()
        for name in ["a", "b", "c"] { XCTAssertEqual(queue.addConsumer(name, acknowledges: false).count, 0) }
        let assigned = enqueue(1...9, into: &queue)
        XCTAssertEqual(describe(assigned), ["a:1", "b:2", "c:3", "a:4", "b:5", "c:6", "a:7", "b:8", "c:9"])
        XCTAssertTrue(assigned.allSatisfy { $0.token == nil })
    }

    func testRoundRobinSkipsConsumersWithoutCapacity() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 1)
        _ = queue.addConsumer("b", acknowledges: false)
        _ = queue.addConsumer("c", acknowledges: true, prefetch: 2)
        XCTAssertEqual(describe(enqueue(1...6, into: &queue)), ["a:1", "b:2", "c:3", "b:4", "c:5", "b:6"])
    }

    func testRoundRobinStaysFairAfterAConsumerLeaves() {
        var queue = makeDispatcher()
        for name in ["a", "b", "c"] { _ = queue.addConsumer(name, acknowledges: false) }
        _ = enqueue(1...1, into: &queue)  // a
        XCTAssertEqual(queue.removeConsumer("a").count, 0)
        XCTAssertEqual(describe(enqueue(2...5, into: &queue)), ["b:2", "c:3", "b:4", "c:5"])
        XCTAssertEqual(queue.consumerList, ["b", "c"])
    }

    func testPrefetchBlocksAtLimitAndAckReleasesThePendingMessage() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 2)
        let assigned = enqueue(1...3, into: &queue)
        XCTAssertEqual(describe(assigned), ["a:1", "a:2"])
        XCTAssertEqual(queue.pendingCount, 1)
        XCTAssertEqual(queue.unackedCount(of: "a"), 2)
        let released = queue.ack(assigned[0].token!, of: "a", scope: .single)
        XCTAssertEqual(describe(released ?? []), ["a:3"])
        XCTAssertEqual(queue.pendingCount, 0)
    }

    func testPrefetchZeroMeansMaxUnackedAtLimitAndBeyond() {
        var queue = makeDispatcher(maxUnacked: 3)
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 0)
        XCTAssertEqual(enqueue(1...3, into: &queue).count, 3, "at the limit")
        XCTAssertEqual(enqueue(4...4, into: &queue).count, 0, "limit + 1 waits")
        XCTAssertEqual(queue.pendingCount, 1)
    }

    func testPrefetchAboveMaxUnackedIsCapped() {
        var queue = makeDispatcher(maxUnacked: 2)
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 50)
        XCTAssertEqual(enqueue(1...3, into: &queue).count, 2)
    }

    func testNonAcknowledgingConsumerAlwaysHasCapacity() {
        var queue = makeDispatcher(maxUnacked: 1)
        _ = queue.addConsumer("a", acknowledges: false, prefetch: 1)
        XCTAssertEqual(enqueue(1...50, into: &queue).count, 50)
        XCTAssertEqual(queue.unackedCount, 0)
    }

    func testCumulativeAckSettlesOlderDeliveriesToo() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true)
        let assigned = enqueue(1...4, into: &queue)
        XCTAssertNotNil(queue.ack(assigned[2].token!, of: "a", scope: .cumulative))
        XCTAssertEqual(queue.unackedCount(of: "a"), 1)
        XCTAssertEqual(queue.unackedCount, 1)
        XCTAssertNil(queue.ack(assigned[0].token!, of: "a", scope: .single), "already settled")
        XCTAssertNotNil(queue.ack(assigned[3].token!, of: "a", scope: .single))
    }

    func testIndividualAckSettlesOnlyThatDelivery() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true)
        let assigned = enqueue(1...4, into: &queue)
        XCTAssertNotNil(queue.ack(assigned[2].token!, of: "a", scope: .single))
        XCTAssertEqual(queue.unackedCount(of: "a"), 3)
        XCTAssertNotNil(queue.ack(assigned[0].token!, of: "a", scope: .single))
        XCTAssertEqual(queue.unackedCount, 2)
    }

    func testAckOfAnotherConsumersTokenIsUnknown() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true)
        _ = queue.addConsumer("b", acknowledges: true)
        let assigned = enqueue(1...2, into: &queue)
        XCTAssertNil(queue.ack(assigned[0].token!, of: "b", scope: .single))
        XCTAssertNil(queue.nack(assigned[0].token!, of: "nobody", scope: .single))
        XCTAssertNil(queue.ack(.init(rawValue: 999), of: "a", scope: .cumulative))
        XCTAssertEqual(queue.unackedCount, 2)
    }

    func testNackRedeliversToAnotherConsumerFlagged() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 5)
        _ = queue.addConsumer("b", acknowledges: true, prefetch: 5)
        let first = enqueue(1...1, into: &queue)[0]
        XCTAssertEqual(first.consumer, "a")
        let redelivered = queue.nack(first.token!, of: "a", scope: .single)!
        XCTAssertEqual(describe(redelivered), ["b:1!"])
        XCTAssertNotEqual(redelivered[0].token, first.token)
        XCTAssertEqual(queue.unackedCount(of: "a"), 0)
    }

    func testNackWithNoOtherConsumerRequeuesToTheSameOne() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 1)
        let first = enqueue(1...1, into: &queue)[0]
        XCTAssertEqual(describe(queue.nack(first.token!, of: "a", scope: .single)!), ["a:1!"])
    }

    func testNackWhenOthersAreFullGoesToTheFrontOfTheBufferInOrder() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 2)
        _ = queue.addConsumer("b", acknowledges: true, prefetch: 1)
        let assigned = enqueue(1...5, into: &queue)  // a:1 b:2 a:3, 4 and 5 pending
        XCTAssertEqual(describe(assigned), ["a:1", "b:2", "a:3"])
        // a's two messages come back; b is full; a takes two from the front: its own, flagged.
        let result = queue.nack(assigned[2].token!, of: "a", scope: .cumulative)!
        XCTAssertEqual(describe(result), ["a:1!", "a:3!"])
        XCTAssertEqual(queue.pendingMessages, [4, 5])
    }

    func testRemovedConsumersMessagesGoToOthersThenToTheFrontOfTheBuffer() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 3)
        _ = queue.addConsumer("b", acknowledges: true, prefetch: 1)
        _ = enqueue(1...6, into: &queue)  // a:1 b:2 a:3 a:4, 5 6 pending
        XCTAssertEqual(queue.pendingMessages, [5, 6])
        _ = queue.ack(.init(rawValue: 2), of: "b", scope: .single)  // b takes 5
        XCTAssertEqual(queue.pendingMessages, [6])
        // a leaves with 1, 3, 4: b is full, so all three go back in front of 6.
        XCTAssertEqual(queue.removeConsumer("a").count, 0)
        XCTAssertEqual(queue.pendingMessages, [1, 3, 4, 6])
        let taken = queue.addConsumer("c", acknowledges: false)
        XCTAssertEqual(describe(taken), ["c:1!", "c:3!", "c:4!", "c:6"])
    }

    func testRemovingSeveralConsumersRedeliversInDeliveryOrderToNoneOfThem() {
        var queue = makeDispatcher()
        for name in ["a", "b", "c"] { _ = queue.addConsumer(name, acknowledges: true) }
        _ = enqueue(1...6, into: &queue)
        let moved = queue.removeConsumers(["a", "b"])
        XCTAssertEqual(describe(moved), ["c:1!", "c:2!", "c:4!", "c:5!"])
    }

    func testLastConsumerLeavingKeepsMessagesPending() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true)
        _ = enqueue(1...2, into: &queue)
        XCTAssertEqual(queue.removeConsumer("a").count, 0)
        XCTAssertEqual(queue.pendingMessages, [1, 2])
        XCTAssertFalse(queue.isIdle)
        XCTAssertEqual(describe(queue.addConsumer("b", acknowledges: true)), ["b:1!", "b:2!"])
    }

    func testAddingAConsumerDrainsPendingInFifoOrderUpToItsPrefetch() {
        var queue = makeDispatcher()
        _ = enqueue(1...5, into: &queue)
        XCTAssertEqual(describe(queue.addConsumer("a", acknowledges: true, prefetch: 3)), ["a:1", "a:2", "a:3"])
        XCTAssertEqual(describe(queue.addConsumer("b", acknowledges: true, prefetch: 3)), ["b:4", "b:5"])
        XCTAssertEqual(queue.addConsumer("b", acknowledges: false).count, 0, "already present")
        XCTAssertEqual(queue.consumerCount, 2)
    }

    func testNewMessagesQueueBehindPendingOnes() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 1)
        let first = enqueue(1...3, into: &queue)[0]
        guard case .buffered = queue.enqueue(4) else { return XCTFail("expected buffered") }
        XCTAssertEqual(describe(queue.ack(first.token!, of: "a", scope: .single)!), ["a:2"])
        XCTAssertEqual(queue.pendingMessages, [3, 4])
    }

    func testDropOldestAtCapacityAndBeyond() {
        var queue = makeDispatcher(capacity: 3, overflow: .dropOldest)
        _ = enqueue(1...3, into: &queue)
        XCTAssertEqual(queue.pendingMessages, [1, 2, 3], "at capacity nothing is lost")
        XCTAssertEqual(queue.droppedCount, 0)
        guard case .bufferedDroppingOldest(dropped: 1) = queue.enqueue(4) else { return XCTFail("expected a drop") }
        XCTAssertEqual(queue.pendingMessages, [2, 3, 4])
        XCTAssertEqual(queue.droppedCount, 1)
    }

    func testRejectNewAtCapacityAndBeyond() {
        var queue = makeDispatcher(capacity: 3, overflow: .rejectNew)
        _ = enqueue(1...3, into: &queue)
        guard case .rejected = queue.enqueue(4) else { return XCTFail("expected rejection") }
        XCTAssertEqual(queue.pendingMessages, [1, 2, 3])
        XCTAssertEqual(queue.droppedCount, 0)
    }

    func testZeroCapacityBufferDropsOrRejectsWhenNobodyHasRoom() {
        var dropping = makeDispatcher(capacity: 0, overflow: .dropOldest)
        guard case .dropped = dropping.enqueue(1) else { return XCTFail("expected drop") }
        XCTAssertEqual(dropping.droppedCount, 1)
        var rejecting = makeDispatcher(capacity: 0, overflow: .rejectNew)
        guard case .rejected = rejecting.enqueue(1) else { return XCTFail("expected rejection") }
        _ = rejecting.addConsumer("a", acknowledges: false)
        guard case .assigned = rejecting.enqueue(2) else { return XCTFail("a consumer with room takes it") }
    }

    func testRedeliveredMessagesAreKeptEvenBeyondCapacity() {
        var queue = makeDispatcher(capacity: 2, overflow: .rejectNew)
        _ = queue.addConsumer("a", acknowledges: true, prefetch: 2)
        _ = enqueue(1...4, into: &queue)
        _ = queue.removeConsumer("a")
        XCTAssertEqual(queue.pendingMessages, [1, 2, 3, 4])
        guard case .rejected = queue.enqueue(5) else { return XCTFail("still full") }
    }

    func testFirstUnackedFindsTheOldestMatchingDelivery() {
        var queue = makeDispatcher()
        _ = queue.addConsumer("a", acknowledges: true)
        let assigned = enqueue([7, 8, 7], into: &queue)
        XCTAssertEqual(queue.firstUnacked(of: "a") { $0 == 7 }, assigned[0].token)
        XCTAssertNil(queue.firstUnacked(of: "a") { $0 == 9 })
        XCTAssertNil(queue.firstUnacked(of: "b") { _ in true })
    }

    func testIdleOnlyWithoutConsumersAndPendingMessages() {
        var queue = makeDispatcher()
        XCTAssertTrue(queue.isIdle)
        _ = queue.enqueue(1)
        XCTAssertFalse(queue.isIdle)
        _ = queue.addConsumer("a", acknowledges: false)
        XCTAssertFalse(queue.isIdle)
        _ = queue.removeConsumer("a")
        XCTAssertTrue(queue.isIdle)
    }

    func testOverflowPolicyRawValuesAreTheConfigurationSpelling() {
        XCTAssertEqual(OverflowPolicy(rawValue: "drop-oldest"), .dropOldest)
        XCTAssertEqual(OverflowPolicy(rawValue: "reject-new"), .rejectNew)
    }
}
