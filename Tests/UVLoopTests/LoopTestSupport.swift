@_exported import TestSupport
import UVLoop
import XCTest

/// Records what a connection delivers; optional hooks act on it.
final class RecordingDelegate: TCPConnectionDelegate {
    var received: [UInt8] = []
    var readCallCount = 0
    var closeCount = 0
    var closeError: UVError?
    var onRead: ((TCPConnection, UnsafeRawBufferPointer) -> Void)?
    var onClose: ((TCPConnection, UVError?) -> Void)?

    init(onRead: ((TCPConnection, UnsafeRawBufferPointer) -> Void)? = nil) {
        self.onRead = onRead
    }

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        readCallCount += 1
        received.append(contentsOf: bytes)
        onRead?(connection, bytes)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        closeCount += 1
        closeError = error
        onClose?(connection, error)
    }
}

/// A loopback listener that records accepted connections with a delegate each.
final class TestServer {
    private final class Accepted {
        var entries: [(connection: TCPConnection, delegate: RecordingDelegate)] = []
    }

    let listener: TCPListener
    private let accepted: Accepted

    /// `configure` runs inside `onAccept` (e.g. to pause reading or set an echo hook).
    init(
        loop: EventLoop, host: String = "127.0.0.1",
        configure: ((TCPConnection, RecordingDelegate) -> Void)? = nil
    ) throws {
        let accepted = Accepted()
        listener = try TCPListener(loop: loop, host: host, port: 0) { connection in
            let delegate = RecordingDelegate()
            connection.delegate = delegate
            configure?(connection, delegate)
            accepted.entries.append((connection, delegate))
        }
        self.accepted = accepted
    }

    var port: Int { listener.port }
    var acceptedCount: Int { accepted.entries.count }
    func connection(_ index: Int) -> TCPConnection { accepted.entries[index].connection }
    func delegate(_ index: Int) -> RecordingDelegate { accepted.entries[index].delegate }
    var connections: [TCPConnection] { accepted.entries.map(\.connection) }
    var delegates: [RecordingDelegate] { accepted.entries.map(\.delegate) }
}

/// Connects `count` clients, each with a recording delegate, and waits for all of them.
func connectClients(
    _ loop: EventLoop, port: Int, count: Int, pausedReading: Bool = false,
    file: StaticString = #filePath, line: UInt = #line
) -> [(connection: TCPConnection, delegate: RecordingDelegate)] {
    var clients: [(connection: TCPConnection, delegate: RecordingDelegate)] = []
    var failures = 0
    for _ in 0..<count {
        TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
            switch result {
            case .success(let connection):
                let delegate = RecordingDelegate()
                connection.delegate = delegate
                if pausedReading { connection.pauseReading() }
                clients.append((connection, delegate))
            case .failure:
                failures += 1
            }
        }
    }
    spin(loop, file: file, line: line) { clients.count + failures == count }
    XCTAssertEqual(failures, 0, file: file, line: line)
    return clients
}

/// Deterministic test bytes.
func pattern(count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7) % 251) }
}
