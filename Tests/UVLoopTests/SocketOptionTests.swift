import CLibUV
import Glibc
@testable import UVLoop
import XCTest

final class SocketOptionTests: XCTestCase {
    private func noDelay(_ connection: TCPConnection) -> Int32 {
        var descriptor: uv_os_fd_t = -1
        guard uv_fileno(asHandle(connection.handle), &descriptor) == 0 else { return -1 }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 else { return -1 }
        return value
    }

    func testAcceptedAndConnectedSocketsHaveNagleDisabled() throws {
        let loop = try EventLoop()
        let server = try TestServer(loop: loop)
        let client = connectClients(loop, port: server.port, count: 1)[0]
        spin(loop) { server.acceptedCount == 1 }

        XCTAssertEqual(noDelay(server.connection(0)), 1)
        XCTAssertEqual(noDelay(client.connection), 1)

        client.connection.close()
        spin(loop) { server.delegate(0).closeCount == 1 && client.delegate.closeCount == 1 }
        server.listener.close()
        assertLoopClosesCleanly(loop)
    }
}
