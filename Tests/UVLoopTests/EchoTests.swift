import UVLoop
import XCTest

/// A real echo server on loopback: reads are copied into the output queue and flushed.
final class EchoTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    private func makeEchoServer(_ loop: EventLoop) throws -> TestServer {
        try TestServer(loop: loop) { _, delegate in
            delegate.onRead = { connection, bytes in connection.enqueue(copying: bytes) }
        }
    }

    func testEchoServerWithFiftyClientsReturnsEveryByteInOrder() throws {
        let loop = try EventLoop()
        let server = try makeEchoServer(loop)
        let clients = connectClients(loop, port: server.port, count: 50)
        spin(loop) { server.acceptedCount == 50 }

        // Mixed piece sizes: small ones share arena chunks, big ones get their own copies.
        var expected: [[UInt8]] = []
        for (index, client) in clients.enumerated() {
            var sent: [UInt8] = []
            for round in 0..<40 {
                let piece = pattern(count: [7, 300, 1_024, 1_025, 5_000][round % 5], seed: index + round)
                sent += piece
                client.connection.enqueue(piece)
            }
            expected.append(sent)
        }
        spin(loop) { zip(clients, expected).allSatisfy { $0.delegate.received.count >= $1.count } }
        for (client, sent) in zip(clients, expected) {
            XCTAssertTrue(client.delegate.received == sent)
        }
        XCTAssertEqual(server.delegates.map(\.received.count).reduce(0, +), expected.map(\.count).reduce(0, +))

        for client in clients { client.connection.close() }
        spin(loop) { server.delegates.allSatisfy { $0.closeCount > 0 } && clients.allSatisfy { $0.delegate.closeCount > 0 } }
        XCTAssertEqual(server.acceptedCount, 50)
        XCTAssertEqual(server.delegates.map(\.closeCount).reduce(0, +), 50)
        XCTAssertEqual(clients.map(\.delegate.closeCount).reduce(0, +), 50)
        XCTAssertTrue(server.delegates.allSatisfy { $0.closeError == nil })
        XCTAssertTrue(clients.allSatisfy { $0.delegate.closeError == nil })
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    /// 8 MiB echoed through one connection while the client does not read: the server's
    /// try_write is partial, the rest goes to uv_write, and everything arrives once it reads.
    func testEightMiBEchoWithPausedReaderFallsBackToUvWrite() throws {
        let loop = try EventLoop()
        let server = try makeEchoServer(loop)
        let client = connectClients(loop, port: server.port, count: 1, pausedReading: true)[0]
        spin(loop) { server.acceptedCount == 1 }

        let payload = pattern(count: 8 << 20, seed: 9)
        let before = loop.statistics
        client.connection.enqueue(SharedBytes(payload))
        // The server echoes what it reads; with the client paused its queue must back up.
        spin(loop, timeoutMilliseconds: 30_000) {
            server.connection(0).queuedByteCount > 0 && loop.statistics.writeRequests > before.writeRequests
        }
        XCTAssertLessThan(client.delegate.received.count, payload.count)

        client.connection.resumeReading()
        spin(loop, timeoutMilliseconds: 60_000) { client.delegate.received.count >= payload.count }
        XCTAssertEqual(server.delegate(0).received.count, payload.count)
        XCTAssertEqual(client.delegate.received.count, payload.count)
        XCTAssertTrue(client.delegate.received == payload)
        XCTAssertLessThan(loop.statistics.tryWriteBytes - before.tryWriteBytes, 2 * payload.count)
        XCTAssertEqual(server.connection(0).queuedByteCount, 0)
        XCTAssertEqual(client.connection.queuedByteCount, 0)

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        XCTAssertNil(server.delegate(0).closeError)
        XCTAssertNil(client.delegate.closeError)
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testPausedServerReadsNothingUntilResumed() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop) { connection, _ in connection.pauseReading() }
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        client.connection.enqueue(Array("hello".utf8))
        idle(loop, milliseconds: 30)
        XCTAssertEqual(server.delegate(0).readCallCount, 0)

        server.connection(0).resumeReading()
        spin(loop) { server.delegate(0).received.count == 5 }
        XCTAssertEqual(server.delegate(0).received, Array("hello".utf8))

        server.connection(0).pauseReading()
        client.connection.enqueue(Array("again".utf8))
        idle(loop, milliseconds: 30)
        XCTAssertEqual(server.delegate(0).received.count, 5)
        server.connection(0).startReading()
        spin(loop) { server.delegate(0).received.count == 10 }

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }
}
