import CLibUV
import UVLoop
import XCTest

/// Binding, accepting, client connects and addresses.
final class ListenerTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    func testPortZeroBindsAnEphemeralPortAndAddressesAreReported() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        XCTAssertGreaterThan(server.port, 0)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }

        XCTAssertEqual(client.connection.peerAddress, "127.0.0.1:\(server.port)")
        XCTAssertTrue(server.connection(0).peerAddress.hasPrefix("127.0.0.1:"))
        XCTAssertEqual(server.acceptedCount, 1)
        XCTAssertEqual(server.listener.acceptErrorCount, 0)

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testSourceAddressBindsTheClientToAnotherLoopbackAddress() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        var result: Result<TCPConnection, UVError>?
        TCPConnection.connect(loop: loop, host: "127.0.0.1", port: server.port, sourceAddress: "127.0.0.2") { result = $0 }
        spin(loop) { result != nil && server.acceptedCount == 1 }
        let connection = try XCTUnwrap(try? result?.get())
        XCTAssertTrue(server.connection(0).peerAddress.hasPrefix("127.0.0.2:"), server.connection(0).peerAddress)

        let delegate = RecordingDelegate()
        connection.delegate = delegate
        connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testIPv6LoopbackListenerAcceptsAndEchoes() throws {
        let loop = try EventLoop()
        let server: TestServer
        do {
            server = try TestServer(loop: loop, host: "::1") { _, delegate in
                delegate.onRead = { connection, bytes in connection.enqueue(copying: bytes) }
            }
        } catch let error as UVError where error.code == Int32(UV_EADDRNOTAVAIL.rawValue) || error.code == Int32(UV_EAFNOSUPPORT.rawValue) {
            assertLoopClosesCleanly(loop)
            throw XCTSkip("no IPv6 loopback: \(error)")
        }
        var client: TCPConnection?
        let delegate = RecordingDelegate()
        TCPConnection.connect(loop: loop, host: "[::1]", port: server.port) { result in
            client = try? result.get()
            client?.delegate = delegate
            client?.enqueue(Array("v6".utf8))
        }
        spin(loop) { delegate.received.count == 2 }
        XCTAssertEqual(delegate.received, Array("v6".utf8))
        XCTAssertEqual(client?.peerAddress, "[::1]:\(server.port)")

        client?.close()
        spin(loop) { server.delegate(0).closeCount == 1 && delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testBindingAPortInUseThrowsAddressInUse() throws {
        let loop = try EventLoop()
        let first = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { _ in }
        XCTAssertThrowsError(try TCPListener(loop: loop, host: "127.0.0.1", port: first.port) { _ in }) { error in
            XCTAssertEqual(error as? UVError, .addressInUse)
        }
        first.close()
        assertLoopClosesCleanly(loop)
    }

    func testHostThatIsNotAnIPLiteralOrPortOutOfRangeThrowsInvalidArgument() throws {
        let loop = try EventLoop()
        for (host, port) in [("localhost", 0), ("127.0.0.1", 65_536), ("127.0.0.1", -1), ("::1::2", 0)] {
            XCTAssertThrowsError(try TCPListener(loop: loop, host: host, port: port) { _ in }, "\(host) \(port)") { error in
                XCTAssertEqual(error as? UVError, .invalidArgument)
            }
        }
        assertLoopClosesCleanly(loop)
    }

    func testConnectToAClosedPortFailsWithConnectionRefused() throws {
        let loop = try EventLoop()
        let probe = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { _ in }
        let port = probe.port
        probe.close()
        loop.runNoWait()

        var results: [Result<TCPConnection, UVError>] = []
        TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { results.append($0) }
        spin(loop) { !results.isEmpty }
        idle(loop, milliseconds: 10)
        XCTAssertEqual(results.count, 1)
        guard case .failure(let error) = results.first else { return XCTFail("connected to a closed port") }
        XCTAssertEqual(error, .connectionRefused)
        assertLoopClosesCleanly(loop)
    }

    func testConnectWithAnInvalidHostFailsOnALaterTurn() throws {
        let loop = try EventLoop()
        var results: [Result<TCPConnection, UVError>] = []
        TCPConnection.connect(loop: loop, host: "not-an-ip", port: 80) { results.append($0) }
        XCTAssertEqual(results.count, 0, "the completion is never called from inside connect")
        loop.runNoWait()
        XCTAssertEqual(results.count, 1)
        guard case .failure(let error) = results.first else { return XCTFail("connected to nowhere") }
        XCTAssertEqual(error, .invalidArgument)
        assertLoopClosesCleanly(loop)
    }

    func testConnectionsOutliveTheirListener() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop) { _, delegate in
            delegate.onRead = { connection, bytes in connection.enqueue(copying: bytes) }
        }
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }
        server.listener.close()
        client.connection.enqueue(Array("still here".utf8))
        spin(loop) { client.delegate.received.count == 10 }
        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        assertLoopClosesCleanly(loop)
    }
}
