public import UVLoop
import XCTest

/// Runs loop turns until `condition` holds; fails (and returns false) after `timeoutMilliseconds`.
/// A 5 ms ticker keeps `runOnce` from sleeping forever when nothing else would wake the loop.
@discardableResult
public func spin(
    _ loop: EventLoop, timeoutMilliseconds: UInt64 = 10_000, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line, until condition: () -> Bool
) -> Bool {
    let ticker = Timer(loop: loop)
    ticker.start(afterMilliseconds: 5, repeatMilliseconds: 5) {}
    loop.updateTime()
    let deadline = loop.nowMilliseconds + timeoutMilliseconds
    var met = condition()
    while !met {
        if loop.nowMilliseconds > deadline {
            XCTFail("condition not met within \(timeoutMilliseconds) ms \(message())", file: file, line: line)
            break
        }
        loop.runOnce()
        met = condition()
    }
    ticker.close()
    loop.runNoWait()
    return met
}

/// Runs the loop for about `milliseconds` (to let the kernel and libuv settle). The timer
/// repeats so that the turn in which it fires does not block in poll afterwards.
public func idle(_ loop: EventLoop, milliseconds: UInt64) {
    var fired = false
    let timer = Timer(loop: loop)
    loop.updateTime()
    timer.start(afterMilliseconds: milliseconds, repeatMilliseconds: 1) { fired = true }
    while !fired { loop.runOnce() }
    timer.close()
    loop.runNoWait()
}

/// The end of every loop test: nothing left open and `uv_loop_close` succeeds. Deferred
/// completions run on the next turns, so open handles get a moment to close first.
public func assertLoopClosesCleanly(_ loop: EventLoop, file: StaticString = #filePath, line: UInt = #line) {
    for _ in 0..<4 { loop.runNoWait() }
    if loop.openHandleCount > 0 {
        spin(loop, timeoutMilliseconds: 1_000, "waiting for handles to close", file: file, line: line) { loop.openHandleCount == 0 }
        for _ in 0..<4 { loop.runNoWait() }
    }
    XCTAssertEqual(loop.openHandleCount, 0, "handles left open", file: file, line: line)
    XCTAssertNoThrow(try loop.close(), file: file, line: line)
}
