import CLibUV
import UVLoop
import XCTest

/// Graceful and abortive closes, resets, and exactly-once close delivery.
final class CloseTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    func testCloseAfterFlushDeliversAllBytesThenEOF() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)

        let payload = pattern(count: 4 << 20, seed: 5)
        connection.enqueue(SharedBytes(payload))
        connection.enqueue(Array("END".utf8))
        connection.close(afterFlush: true)
        XCTAssertTrue(connection.isClosing)
        connection.enqueue(Array("ignored after close".utf8))

        // The reader is paused: nothing can be lost while the queue waits.
        idle(loop, milliseconds: 20)
        XCTAssertEqual(server.delegate(0).closeCount, 0)
        client.connection.resumeReading()
        spin(loop, timeoutMilliseconds: 30_000) { client.delegate.closeCount == 1 && server.delegate(0).closeCount == 1 }

        XCTAssertEqual(client.delegate.received.count, payload.count + 3)
        XCTAssertTrue(client.delegate.received == payload + Array("END".utf8))
        XCTAssertNil(client.delegate.closeError, "EOF is a normal close")
        XCTAssertNil(server.delegate(0).closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testCloseWithoutFlushDropsTheQueue() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)

        let payload = pattern(count: 16 << 20)
        connection.enqueue(SharedBytes(payload))
        loop.runNoWait()
        connection.close(afterFlush: false)
        client.connection.resumeReading()
        spin(loop, timeoutMilliseconds: 30_000) { client.delegate.closeCount == 1 && server.delegate(0).closeCount == 1 }

        XCTAssertLessThan(client.delegate.received.count, payload.count)
        XCTAssertTrue(client.delegate.received.elementsEqual(payload.prefix(client.delegate.received.count)))
        XCTAssertNil(server.delegate(0).closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    /// Closing a socket with unread input makes the kernel send RST; the peer sees ECONNRESET.
    func testPeerResetDeliversConnectionResetError() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }

        server.connection(0).enqueue(pattern(count: 1_000))
        spin(loop) { server.connection(0).queuedByteCount == 0 }
        idle(loop, milliseconds: 10)
        client.connection.close(afterFlush: false)
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }

        XCTAssertEqual(server.delegate(0).closeError, UVError(code: Int32(UV_ECONNRESET.rawValue)))
        XCTAssertEqual(server.delegate(0).closeError, .connectionReset)
        XCTAssertNil(client.delegate.closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testCloseCalledRepeatedlyDeliversDidCloseExactlyOnce() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)

        connection.close()
        connection.close()
        connection.close(afterFlush: false)
        connection.close(afterFlush: false)
        connection.close()
        spin(loop) { server.delegate(0).closeCount > 0 && client.delegate.closeCount > 0 }
        idle(loop, milliseconds: 10)
        connection.close()
        connection.enqueue(Array("after close".utf8))
        idle(loop, milliseconds: 10)

        XCTAssertEqual(server.delegate(0).closeCount, 1)
        XCTAssertEqual(client.delegate.closeCount, 1)
        XCTAssertEqual(connection.queuedByteCount, 0)
        XCTAssertTrue(connection.isClosing)
        server.listener.close()
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    /// A peer that never reads our FIN (paused) is closed when the linger timeout expires.
    func testLingeringCloseEndsAtTheLingerTimeout() throws {
        let loop = try EventLoop()
        loop.lingerTimeoutMilliseconds = 50
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }

        loop.updateTime()
        let start = loop.nowMilliseconds
        server.connection(0).close()
        spin(loop) { server.delegate(0).closeCount == 1 }
        XCTAssertGreaterThanOrEqual(loop.nowMilliseconds - start, 50)
        XCTAssertEqual(client.delegate.closeCount, 0)
        XCTAssertNil(server.delegate(0).closeError)

        client.connection.resumeReading()
        spin(loop) { client.delegate.closeCount == 1 }
        XCTAssertNil(client.delegate.closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testDelegateIsReleasedAfterDidClose() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        weak var weakDelegate: RecordingDelegate?
        do {
            let delegate = RecordingDelegate()
            weakDelegate = delegate
            client.connection.delegate = delegate
        }
        XCTAssertNotNil(weakDelegate, "the connection holds its delegate")
        client.connection.close()
        spin(loop) { weakDelegate == nil && server.delegate(0).closeCount == 1 }
        XCTAssertNil(client.connection.delegate)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testClosingInsideDidReadIsSafe() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop) { _, delegate in
            delegate.onRead = { connection, _ in
                connection.enqueue(Array("bye".utf8))
                connection.close()
                connection.close()
            }
        }
        let client = connectClients(loop, port: server.port, count: 1)[0]
        client.connection.enqueue(Array("hi".utf8))
        spin(loop) { server.acceptedCount == 1 && server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        XCTAssertEqual(client.delegate.received, Array("bye".utf8))
        XCTAssertEqual(server.delegate(0).readCallCount, 1)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }
}
