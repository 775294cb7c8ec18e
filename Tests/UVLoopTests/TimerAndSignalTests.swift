import Glibc
import UVLoop
import XCTest

final class TimerAndSignalTests: XCTestCase {
    func testTimerFiresOnceAfterItsDelay() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        var fired = 0
        loop.updateTime()
        let start = loop.nowMilliseconds
        var firedAt: UInt64 = 0
        timer.start(afterMilliseconds: 20) {
            fired += 1
            firedAt = loop.nowMilliseconds
        }
        loop.run()
        XCTAssertEqual(fired, 1)
        XCTAssertGreaterThanOrEqual(firedAt - start, 20)
        timer.close()
        assertLoopClosesCleanly(loop)
    }

    func testRepeatingTimerFiresUntilStopped() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        var fired = 0
        timer.start(afterMilliseconds: 1, repeatMilliseconds: 2) {
            fired += 1
            if fired == 3 { timer.stop() }
        }
        // run() returns once the stopped timer leaves no active handle.
        loop.run()
        XCTAssertEqual(fired, 3)
        idle(loop, milliseconds: 10)
        XCTAssertEqual(fired, 3)

        timer.start(afterMilliseconds: 1) { fired += 10 }
        loop.run()
        XCTAssertEqual(fired, 13)
        timer.close()
        assertLoopClosesCleanly(loop)
    }

    func testClosedTimerNeverFiresAndCloseTwiceIsSafe() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        var fired = 0
        timer.start(afterMilliseconds: 1) { fired += 1 }
        timer.close()
        timer.close()
        timer.start(afterMilliseconds: 1) { fired += 1 }
        timer.stop()
        idle(loop, milliseconds: 10)
        XCTAssertEqual(fired, 0)
        assertLoopClosesCleanly(loop)
    }

    func testTimerMayCloseItselfFromItsCallback() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        var fired = 0
        timer.start(afterMilliseconds: 1, repeatMilliseconds: 1) {
            fired += 1
            timer.close()
        }
        loop.run()
        XCTAssertEqual(fired, 1)
        assertLoopClosesCleanly(loop)
    }

    func testSignalWatcherReceivesSIGUSR1() throws {
        let loop = try EventLoop()
        var received: [Int32] = []
        let watcher = try SignalWatcher(loop: loop, signal: SIGUSR1) { signal in
            received.append(signal)
        }
        raise(SIGUSR1)
        spin(loop) { !received.isEmpty }
        idle(loop, milliseconds: 5)
        XCTAssertEqual(received, [SIGUSR1])
        watcher.close()
        watcher.close()
        assertLoopClosesCleanly(loop)
    }

    func testSignalWatcherRejectsAnInvalidSignal() throws {
        let loop = try EventLoop()
        XCTAssertThrowsError(try SignalWatcher(loop: loop, signal: 0) { _ in }) { error in
            XCTAssertEqual(error as? UVError, .invalidArgument)
        }
        assertLoopClosesCleanly(loop)
    }
}
