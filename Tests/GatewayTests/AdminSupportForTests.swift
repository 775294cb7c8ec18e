import TestSupport
import Foundation
@testable import Admin
@testable import Gateway
import HTTPWire
import Logging
@testable import stampede
import UVLoop
import XCTest

/// A node stand-in: canned views, and completions held back on request to answer on a later turn.
final class FakeAdminDataSource: AdminDataSource {
    var nodes: [AdminNodeView] = []
    var destinations: [AdminDestinationView] = []
    var users: [AdminUserView] = []
    /// Answer every view request with this error instead.
    var failure: AdminError?
    var adminReadiness: (ready: Bool, status: String) = (true, "ok")
    var adminMetrics: [MetricSample] = []
    /// Hold completions in `pending` instead of calling them synchronously.
    var deferCompletions = false
    var pending: [() -> Void] = []
    var requestCount = 0
    var adminNodeID = "fake-node"
    var adminSessions: [AdminSessionView] = []

    func adminSessions(_ completion: @escaping (Result<[AdminSessionView], AdminError>) -> Void) {
        deliver { completion(self.failure.map { .failure($0) } ?? .success(self.adminSessions)) }
    }
    var adminHistory: [AdminRateSample] = []
    /// Session ids `adminDisconnect` was asked for, in order.
    var disconnected: [String] = []

    func adminDisconnect(session id: String, _ completion: @escaping (Result<Void, AdminError>) -> Void) {
        guard adminSessions.contains(where: { $0.id == id }) else {
            return completion(.failure(AdminError(status: 404, message: "no such session on this node")))
        }
        disconnected.append(id)
        adminSessions.removeAll { $0.id == id }
        completion(.success(()))
    }

    func adminNodes(_ completion: @escaping (Result<[AdminNodeView], AdminError>) -> Void) {
        deliver { completion(self.failure.map { .failure($0) } ?? .success(self.nodes)) }
    }

    func adminDestinations(_ completion: @escaping (Result<[AdminDestinationView], AdminError>) -> Void) {
        deliver { completion(self.failure.map { .failure($0) } ?? .success(self.destinations)) }
    }

    func adminUsers(_ completion: @escaping (Result<[AdminUserView], AdminError>) -> Void) {
        deliver { completion(self.failure.map { .failure($0) } ?? .success(self.users)) }
    }

    private func deliver(_ answer: @escaping () -> Void) {
        requestCount += 1
        if deferCompletions { pending.append(answer) } else { answer() }
    }

    /// Calls and forgets the held completions.
    func answerPending() {
        let answers = pending
        pending = []
        for answer in answers { answer() }
    }
}

/// Log records kept in memory (tests never bootstrap the logging system).
final class AdminLogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(message: String, level: Logger.Level, metadata: Logger.Metadata)] = []

    var records: [(message: String, level: Logger.Level, metadata: Logger.Metadata)] {
        lock.withLock { stored }
    }

    func append(_ message: String, _ level: Logger.Level, _ metadata: Logger.Metadata) {
        lock.withLock { stored.append((message, level, metadata)) }
    }

    var logger: Logger {
        Logger(label: "admin-test") { _ in AdminRecordingLogHandler(recorder: self) }
    }
}

struct AdminRecordingLogHandler: LogHandler {
    let recorder: AdminLogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append("\(event.message)", event.level, metadata.merging(event.metadata ?? [:]) { $1 })
    }
}

/// A view with every field filled from the id.
func adminNode(_ id: String, status: String = "up") -> AdminNodeView {
    AdminNodeView(
        id: id, address: "10.0.0.\(id.count):15674", status: status, version: "0.1.0", startedAt: "2025-01-31T12:00:00Z",
        uptimeSeconds: 3_725, connections: 12, subscriptions: 34, messagesInPerSecond: 5.25, messagesOutPerSecond: 100,
        lastHeartbeatAgeMilliseconds: 250, redis: "connected")
}

/// One endpoint on a loop run by the test thread, with a client that speaks raw bytes.
final class AdminHarness {
    let loop: EventLoop
    let source = FakeAdminDataSource()
    let logs = AdminLogRecorder()
    let endpoint: AdminEndpoint

    init(token: String? = nil, host: String = "127.0.0.1", limits: HTTPLimits = HTTPLimits()) throws {
        loop = try EventLoop()
        endpoint = try AdminEndpoint(
            loop: loop, host: host, port: 0, token: token, limits: limits, dataSource: source, logger: logs.logger)
    }

    /// Runs loop turns until `condition` holds.
    func spin(timeoutMilliseconds: UInt64 = 10_000, file: StaticString = #filePath, line: UInt = #line, until condition: () -> Bool) {
        TestSupport.spin(loop, timeoutMilliseconds: timeoutMilliseconds, file: file, line: line, until: condition)
    }

    /// Runs the loop for about `milliseconds`.
    func idle(milliseconds: UInt64) { TestSupport.idle(loop, milliseconds: milliseconds) }

    /// A client connection that sends `bytes` once connected and records what comes back
    /// (`paused`: it never reads).
    func open(sending bytes: [UInt8] = [], paused: Bool = false) -> AdminTestClient {
        let client = AdminTestClient()
        TCPConnection.connect(loop: loop, host: "127.0.0.1", port: endpoint.port) { result in
            switch result {
            case .success(let connection):
                client.connection = connection
                connection.delegate = client
                connection.enqueue(bytes)
                if paused { connection.pauseReading() }
            case .failure(let error):
                client.connectError = error
                client.closed = true
            }
        }
        return client
    }

    /// Sends `raw` and returns the parsed answer once the server closed the connection.
    func exchange(_ raw: String, file: StaticString = #filePath, line: UInt = #line) -> ClusterHTTPResponse? {
        let client = open(sending: Array(raw.utf8))
        spin(file: file, line: line) { client.closed }
        do {
            return try ClusterHTTPResponse.parse(client.received)
        } catch {
            XCTFail("unparsable response: \(error) \(String(decoding: client.received, as: UTF8.self))", file: file, line: line)
            return nil
        }
    }

    /// `GET target` with the given extra headers.
    func get(_ target: String, method: String = "GET", headers: [(String, String)] = [],
             file: StaticString = #filePath, line: UInt = #line) -> ClusterHTTPResponse? {
        var raw = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { raw += "\(name): \(value)\r\n" }
        return exchange(raw + "\r\n", file: file, line: line)
    }

    /// Closes the endpoint and checks that every handle is gone and the loop closes.
    func finish(file: StaticString = #filePath, line: UInt = #line) {
        endpoint.close()
        // The spin's own ticker is the one handle allowed while spinning.
        spin(file: file, line: line) { loop.openHandleCount == 1 }
        for _ in 0..<4 { loop.runNoWait() }
        XCTAssertEqual(endpoint.openConnectionCount, 0, file: file, line: line)
        XCTAssertEqual(loop.openHandleCount, 0, "handles left open", file: file, line: line)
        XCTAssertNoThrow(try loop.close(), file: file, line: line)
    }
}

/// Records a client connection's input and its close.
final class AdminTestClient: TCPConnectionDelegate {
    var connection: TCPConnection?
    var received: [UInt8] = []
    var closed = false
    var connectError: UVError?

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        received.append(contentsOf: bytes)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        closed = true
    }
}

extension ClusterHTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `error` field of a JSON error answer.
    var errorMessage: String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
    }

    func decoded<T: Decodable>(_ type: T.Type, file: StaticString = #filePath, line: UInt = #line) -> T? {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            XCTFail("cannot decode \(type): \(error) in \(text)", file: file, line: line)
            return nil
        }
    }
}
