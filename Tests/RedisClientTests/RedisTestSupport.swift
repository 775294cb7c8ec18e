import Glibc
import RedisClient
import UVLoop
import XCTest

/// Runs loop turns until `condition` holds; fails (and returns false) after `timeoutMilliseconds`.
/// A 5 ms ticker keeps `runOnce` from sleeping forever when nothing else would wake the loop.
@discardableResult
func spin(
    _ loop: EventLoop, timeoutMilliseconds: UInt64 = 5_000, _ message: @autoclosure () -> String = "",
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

/// Runs the loop for about `milliseconds`.
func idle(_ loop: EventLoop, milliseconds: UInt64) {
    var fired = false
    let timer = Timer(loop: loop)
    loop.updateTime()
    timer.start(afterMilliseconds: milliseconds, repeatMilliseconds: 1) { fired = true }
    while !fired { loop.runOnce() }
    timer.close()
    loop.runNoWait()
}

/// The end of every test: nothing left open and `uv_loop_close` succeeds.
func assertLoopClosesCleanly(_ loop: EventLoop, file: StaticString = #filePath, line: UInt = #line) {
    for _ in 0..<4 { loop.runNoWait() }
    if loop.openHandleCount > 0 {
        // Deferred error completions run on the next turns; give them a moment.
        spin(loop, timeoutMilliseconds: 1_000, "waiting for handles to close", file: file, line: line) { loop.openHandleCount == 0 }
        for _ in 0..<4 { loop.runNoWait() }
    }
    XCTAssertEqual(loop.openHandleCount, 0, "handles left open", file: file, line: line)
    XCTAssertNoThrow(try loop.close(), file: file, line: line)
}

/// Records state changes of a connection or subscriber.
final class StateRecorder {
    var states: [RedisLinkState] = []

    var connectCount: Int { states.filter { $0 == .connected }.count }
    var attemptCount: Int { states.filter { $0 == .connecting }.count }
    var disconnections: [String] {
        states.compactMap { if case .disconnected(let reason) = $0 { reason } else { nil } }
    }

    func record(_ state: RedisLinkState) {
        states.append(state)
    }
}

extension RedisConnection {
    /// Sends and spins the loop until the reply arrives.
    func sendAndWait(_ loop: EventLoop, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> RedisReply? {
        var result: RedisReply?
        send(arguments) { result = $0 }
        spin(loop, "for reply to \(arguments)", file: file, line: line) { result != nil }
        return result
    }
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}

/// 127.0.0.1:`port` as a `sockaddr_in`.
func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
