import Foundation
import UVLoop
import XCTest

/// A counter the loop thread owns, handed to inbox jobs.
private final class Tally {
    var values: [Int] = []
}

final class AsyncWakeupTests: XCTestCase {
    func testJobsPostedFromOtherThreadsRunOnTheLoopInOrderPerThreadAndTheLoopEndsAfterClose() throws {
        let loop = try EventLoop()
        let tally = Tally()
        let inbox = try LoopInbox(loop: loop, context: tally)
        let loopThread = pthread_self()
        let perThread = 500
        for thread in 0..<4 {
            Thread.detachNewThread {
                for index in 0..<perThread {
                    inbox.post { tally in
                        precondition(pthread_equal(pthread_self(), loopThread) != 0, "jobs run on the loop thread")
                        tally.values.append(thread * 10_000 + index)
                    }
                }
            }
        }
        let closer = Timer(loop: loop)
        closer.start(afterMilliseconds: 1, repeatMilliseconds: 1) {
            if tally.values.count == 4 * perThread {
                inbox.close()
                closer.close()
            }
        }
        loop.run()  // returns only once the inbox's handle is closed
        XCTAssertEqual(tally.values.count, 4 * perThread)
        for thread in 0..<4 {
            let mine = tally.values.filter { $0 / 10_000 == thread }
            XCTAssertEqual(mine, (0..<perThread).map { thread * 10_000 + $0 })
        }
        XCTAssertFalse(inbox.post { _ in XCTFail("a closed inbox runs nothing") })
        assertLoopClosesCleanly(loop)
    }

    func testSignalAfterCloseIsHarmless() throws {
        let loop = try EventLoop()
        var woken = 0
        let wakeup = try AsyncWakeup(loop: loop) { woken += 1 }
        wakeup.signal()
        loop.runOnce()
        XCTAssertEqual(woken, 1)
        wakeup.close()
        wakeup.signal()
        loop.run()
        XCTAssertEqual(woken, 1)
        assertLoopClosesCleanly(loop)
    }
}
