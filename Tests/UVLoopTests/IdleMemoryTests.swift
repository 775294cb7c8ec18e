import Foundation
import Glibc
import UVLoop
import XCTest

/// Measures the resident memory of 10,000 idle accepted connections. Opt-in (it needs a Python
/// client process and ~20 s): `UVLOOP_MEASURE_IDLE_RSS=1 swift test --filter IdleMemoryTests`.
/// It asserts only counts; the number is printed, not judged, so load cannot make it flaky.
final class IdleMemoryTests: XCTestCase {
    private static let connectionCount = 10_000

    func testResidentMemoryOfTenThousandIdleConnections() throws {
        guard ProcessInfo.processInfo.environment["UVLOOP_MEASURE_IDLE_RSS"] == "1" else {
            throw XCTSkip("set UVLOOP_MEASURE_IDLE_RSS=1 to measure")
        }
        let loop = try EventLoop()
        var accepted: [TCPConnection] = []
        accepted.reserveCapacity(Self.connectionCount)
        let listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { accepted.append($0) }
        idle(loop, milliseconds: 10)
        let before = residentBytes()

        // The clients live in another process: 20,000 descriptors would pass this process's limit.
        let clients = Process()
        clients.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        clients.arguments = ["python3", "-c", """
            import socket, sys
            held = [socket.create_connection(("127.0.0.1", \(listener.port))) for _ in range(\(Self.connectionCount))]
            sys.stdin.read()
            """]
        let input = Pipe()
        clients.standardInput = input
        try clients.run()
        spin(loop, timeoutMilliseconds: 120_000) { accepted.count == Self.connectionCount }
        idle(loop, milliseconds: 100)
        let after = residentBytes()

        let perConnection = Double(after - before) / Double(Self.connectionCount)
        print("idle connections: \(accepted.count), RSS +\(after - before) bytes, \(Int(perConnection)) bytes each")
        XCTAssertEqual(accepted.count, Self.connectionCount)

        var closed = 0
        final class CloseCounter: TCPConnectionDelegate {
            var onClose: () -> Void
            init(_ onClose: @escaping () -> Void) { self.onClose = onClose }
            func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {}
            func connectionDidClose(_ connection: TCPConnection, error: UVError?) { onClose() }
        }
        let counter = CloseCounter { closed += 1 }
        for connection in accepted { connection.delegate = counter }
        try input.fileHandleForWriting.close()
        spin(loop, timeoutMilliseconds: 60_000) { closed == Self.connectionCount }
        clients.waitUntilExit()
        XCTAssertEqual(closed, Self.connectionCount)
        listener.close()
        accepted.removeAll()
        assertLoopClosesCleanly(loop)
    }

    private func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
