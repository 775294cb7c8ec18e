import UVLoop
import XCTest

/// The batched write path: enqueue marks dirty, one flush per turn, try_write then one uv_write.
final class WritePathTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    func testBurstOfThousandSmallEnqueuesIsOneTryWriteAndNoSyscallPerEnqueue() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)
        let before = loop.statistics

        var expected: [UInt8] = []
        for index in 0..<1_000 {
            let piece = Array("MESSAGE \(index)\n".utf8)
            expected += piece
            connection.enqueue(piece)
        }
        XCTAssertEqual(loop.statistics, before, "enqueue must not write")
        XCTAssertEqual(connection.queuedByteCount, expected.count)
        spin(loop) { client.delegate.received.count == expected.count }

        XCTAssertEqual(client.delegate.received, expected)
        XCTAssertEqual(loop.statistics.tryWriteCalls - before.tryWriteCalls, 1)
        XCTAssertEqual(loop.statistics.tryWriteBytes - before.tryWriteBytes, expected.count)
        XCTAssertEqual(loop.statistics.writeRequests - before.writeRequests, 0)
        XCTAssertEqual(connection.queuedByteCount, 0)

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    /// 1024 distinct pieces fit one writev; the 1025th waits for a uv_write of its own.
    func testPieceCapPerCallAtLimitAndLimitPlusOne() throws {
        for (pieceCount, expectedWriteRequests) in [(1_024, 0), (1_025, 1)] {
            let loop = try EventLoop()
            let server = try TestServer(loop: loop)
            let client = connectClients(loop, port: server.port, count: 1)[0]
            spin(loop) { server.acceptedCount == 1 }
            let connection = server.connection(0)
            let before = loop.statistics

            var expected: [UInt8] = []
            for index in 0..<pieceCount {
                // Separate SharedBytes are never coalesced: one iovec each.
                let piece = Array("\(index),".utf8)
                expected += piece
                connection.enqueue(SharedBytes(piece))
            }
            spin(loop) { client.delegate.received.count == expected.count }

            XCTAssertEqual(client.delegate.received, expected, "pieces: \(pieceCount)")
            XCTAssertEqual(loop.statistics.tryWriteCalls - before.tryWriteCalls, 1, "pieces: \(pieceCount)")
            XCTAssertEqual(loop.statistics.writeRequests - before.writeRequests, expectedWriteRequests, "pieces: \(pieceCount)")

            connection.close(afterFlush: false)
            spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
            server.listener.close()
            assertLoopClosesCleanly(loop)
        }
    }

    func testOrderIsPreservedAcrossTryWriteAndPendingUvWrite() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)

        // Large enough to overflow the loopback socket buffers, so a uv_write stays pending.
        let head = pattern(count: 16 << 20, seed: 1)
        connection.enqueue(SharedBytes(head))
        let before = loop.statistics
        spin(loop) { loop.statistics.writeRequests > before.writeRequests }
        XCTAssertLessThan(loop.statistics.tryWriteBytes - before.tryWriteBytes, head.count, "try_write must be partial")

        // Pieces enqueued over several turns while the uv_write is pending.
        var expected = head
        for turn in 0..<5 {
            for index in 0..<200 {
                let piece = Array("<\(turn).\(index)>".utf8)
                expected += piece
                connection.enqueue(piece)
            }
            let tail = pattern(count: 3_000, seed: turn)
            expected += tail
            connection.enqueue(SharedBytes(tail))
            loop.runNoWait()
        }
        XCTAssertGreaterThan(connection.queuedByteCount, 0)

        client.connection.resumeReading()
        spin(loop, timeoutMilliseconds: 30_000) { client.delegate.received.count >= expected.count }
        XCTAssertEqual(client.delegate.received.count, expected.count)
        XCTAssertTrue(client.delegate.received == expected, "bytes out of order")
        XCTAssertEqual(connection.queuedByteCount, 0)

        connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        XCTAssertNil(server.delegate(0).closeError)
        XCTAssertNil(client.delegate.closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testSharedBytesEnqueuedToHundredConnectionsReachEveryoneAndAreReleased() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let clients = connectClients(loop, port: server.port, count: 100)
        spin(loop) { server.acceptedCount == 100 }

        let body = pattern(count: 64 * 1024, seed: 3)
        weak var weakShared: SharedBytes?
        do {
            let shared = SharedBytes(body)
            weakShared = shared
            for (index, connection) in server.connections.enumerated() {
                connection.enqueue(Array("subscription:\(index)\n".utf8))
                connection.enqueue(shared)
            }
        }
        XCTAssertNotNil(weakShared, "queues hold the shared body")
        spin(loop) { clients.allSatisfy { $0.delegate.received.count >= body.count + 15 } }

        // Each client learns its index from its header and checks header + body.
        for client in clients {
            let received = client.delegate.received
            guard let newline = received.firstIndex(of: UInt8(ascii: "\n")) else {
                XCTFail("no header")
                continue
            }
            XCTAssertTrue(received[..<newline].starts(with: Array("subscription:".utf8)))
            XCTAssertEqual(Array(received[(newline + 1)...]), body)
        }
        let indices = Set(clients.map { client -> String in
            let received = client.delegate.received
            return String(decoding: received[..<received.firstIndex(of: UInt8(ascii: "\n"))!], as: UTF8.self)
        })
        XCTAssertEqual(indices.count, 100)
        XCTAssertNil(weakShared, "written pieces must release the shared body")

        for client in clients { client.connection.close() }
        spin(loop) { server.delegates.allSatisfy { $0.closeCount == 1 } && clients.allSatisfy { $0.delegate.closeCount == 1 } }
        XCTAssertEqual(server.delegates.map(\.closeCount).reduce(0, +), 100)
        XCTAssertEqual(clients.map(\.delegate.closeCount).reduce(0, +), 100)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testQueuedByteCountCountsUnsentBytesUntilTheReaderResumes() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }
        let connection = server.connection(0)

        let payload = pattern(count: 8 << 20)
        connection.enqueue(SharedBytes(payload))
        XCTAssertEqual(connection.queuedByteCount, payload.count, "nothing leaves before the flush")
        let before = loop.statistics
        spin(loop) { loop.statistics.writeRequests > before.writeRequests }
        idle(loop, milliseconds: 20)
        let stalled = connection.queuedByteCount
        XCTAssertGreaterThan(stalled, 0)
        XCTAssertLessThan(stalled, payload.count)

        client.connection.resumeReading()
        spin(loop, timeoutMilliseconds: 30_000) { client.delegate.received.count == payload.count }
        XCTAssertEqual(connection.queuedByteCount, 0)
        XCTAssertTrue(client.delegate.received == payload)

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    /// The flush runs in the prepare phase, before poll: a timer's bytes leave without any other
    /// wake-up (no ticker here; a watchdog stops a hung loop).
    func testBytesEnqueuedFromATimerLeaveBeforeTheLoopSleeps() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        client.delegate.onRead = { _, _ in loop.stop() }

        let sender = Timer(loop: loop)
        sender.start(afterMilliseconds: 1) { server.connection(0).enqueue(Array("ping".utf8)) }
        let watchdog = Timer(loop: loop)
        var watchdogFired = false
        watchdog.start(afterMilliseconds: 5_000) {
            watchdogFired = true
            loop.stop()
        }
        loop.run()

        XCTAssertFalse(watchdogFired)
        XCTAssertEqual(client.delegate.received, Array("ping".utf8))
        XCTAssertEqual(client.delegate.readCallCount, 1)
        sender.close()
        watchdog.close()
        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }
}

/// A read that queues much output (a publisher's read fanned out) is flushed right after its
/// callback, while the bytes are still in cache, instead of after every other read of the turn.
final class EarlyFlushTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    private func runRead(queuing bytesPerRead: Int) throws -> (early: Int, received: [UInt8], expected: [UInt8]) {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let publisher = connectClients(loop, port: server.port, count: 1)[0]
        let subscriber = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 2 }
        let fanout = SharedBytes(pattern(count: bytesPerRead, seed: 3))
        // Whichever accepted connection the publisher is, its reads go to the other one.
        for index in 0..<2 {
            server.delegate(index).onRead = { _, _ in server.connection(1 - index).enqueue(fanout) }
        }
        let before = loop.statistics
        publisher.connection.enqueue(Array("SEND".utf8))
        spin(loop) { subscriber.delegate.received.count == bytesPerRead }
        let early = loop.statistics.earlyFlushPasses - before.earlyFlushPasses

        for client in [publisher, subscriber] { client.connection.close() }
        spin(loop) { server.delegates.allSatisfy { $0.closeCount == 1 } }
        server.listener.close()
        assertLoopClosesCleanly(loop)
        return (early, subscriber.delegate.received, pattern(count: bytesPerRead, seed: 3))
    }

    func testReadQueuingMoreThanTheThresholdIsFlushedRightAfterItsCallback() throws {
        let result = try runRead(queuing: EventLoop.earlyFlushBytes + 1)
        XCTAssertEqual(result.early, 1)
        XCTAssertEqual(result.received, result.expected)
    }

    func testReadQueuingLessWaitsForTheEndOfTheTurn() throws {
        let result = try runRead(queuing: 4_096)
        XCTAssertEqual(result.early, 0)
        XCTAssertEqual(result.received, result.expected)
    }
}
