import Foundation
@testable import Admin
@testable import Gateway
import HTTPWire
@testable import stampede
import UVLoop
import XCTest

/// Malformed requests, limits, timeouts and closing the admin endpoint.
final class AdminLifecycleTests: XCTestCase {
    func testMalformedRequestIs400JSON() throws {
        let harness = try AdminHarness()
        let response = harness.exchange("GET /healthz\r\n\r\n")
        XCTAssertEqual(response?.status, 400)
        XCTAssertEqual(response?.errorMessage, "malformed request line")
        XCTAssertEqual(harness.logs.records.first?.metadata["http.status"]?.description, "400")
        harness.finish()
    }

    func testRequestLineLimitAnswers414OnlyAboveIt() throws {
        let prefix = "GET /admin/users/", suffix = " HTTP/1.1"
        let limit = 64
        let harness = try AdminHarness(limits: HTTPLimits(maxRequestLineBytes: limit))
        let fits = prefix + String(repeating: "a", count: limit - prefix.count - suffix.count) + suffix
        XCTAssertEqual(fits.utf8.count, limit)
        XCTAssertEqual(harness.exchange(fits + "\r\n\r\n")?.status, 404)
        let tooLong = prefix + String(repeating: "a", count: limit + 1 - prefix.count - suffix.count) + suffix
        XCTAssertEqual(harness.exchange(tooLong + "\r\n\r\n")?.status, 414)
        harness.finish()
    }

    func testRequestSplitAcrossReadsIsAnswered() throws {
        let harness = try AdminHarness()
        let client = harness.open(sending: Array("GET /hea".utf8))
        harness.spin { client.connection != nil }
        harness.idle(milliseconds: 20)  // let the first half arrive alone
        client.connection?.enqueue(Array("lthz HTTP/1.1\r\n\r\n".utf8))
        harness.spin { client.closed }
        XCTAssertEqual(try ClusterHTTPResponse.parse(client.received).status, 200)
        harness.finish()
    }

    func testBytesAfterTheFirstRequestAreIgnored() throws {
        let harness = try AdminHarness()
        let response = harness.exchange("GET /healthz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(harness.logs.records.count, 1)
        harness.finish()
    }

    func testIncompleteRequestTimesOutWith408() throws {
        let harness = try AdminHarness()
        harness.endpoint.requestTimeoutMilliseconds = 50
        let response = harness.exchange("GET /healthz HTTP/1.1\r\n")
        XCTAssertEqual(response?.status, 408)
        harness.finish()
    }

    func testDataSourceThatNeverAnswersTimesOutWith504() throws {
        let harness = try AdminHarness()
        harness.endpoint.requestTimeoutMilliseconds = 50
        harness.source.deferCompletions = true
        let response = harness.get("/admin/cluster")
        XCTAssertEqual(response?.status, 504)
        harness.source.answerPending()  // too late: dropped
        harness.finish()
    }

    func testClientThatNeverReadsIsCutAfterTheTimeout() throws {
        let harness = try AdminHarness()
        harness.endpoint.requestTimeoutMilliseconds = 50
        harness.source.destinations = (0..<1000).map { AdminDestinationView(destination: "/topic/\($0)", nodes: ["n": 1], subscribers: 1) }
        let client = harness.open(sending: Array("GET /admin/destinations?limit=1000 HTTP/1.1\r\n\r\n".utf8), paused: true)
        harness.spin { harness.source.requestCount == 1 }
        // The client never reads, so it never sees the FIN: well before the loop's 5 s linger
        // timeout, the drain deadline closes the server side.
        harness.spin(timeoutMilliseconds: 2_000) { harness.endpoint.openConnectionCount == 0 }
        XCTAssertFalse(client.closed)
        client.connection?.close(afterFlush: false)
        harness.finish()
    }

    func testCloseAnswersPendingRequestsWith503AndReleasesEveryHandle() throws {
        let harness = try AdminHarness()
        harness.source.deferCompletions = true
        let waiting = harness.open(sending: Array("GET /admin/cluster HTTP/1.1\r\n\r\n".utf8))
        let idle = harness.open()
        harness.spin { !harness.source.pending.isEmpty && harness.endpoint.openConnectionCount == 2 }
        harness.endpoint.close()
        harness.spin { waiting.closed && idle.closed }
        XCTAssertEqual(try ClusterHTTPResponse.parse(waiting.received).status, 503)
        XCTAssertEqual(try ClusterHTTPResponse.parse(waiting.received).errorMessage, "shutting down")
        XCTAssertEqual(try ClusterHTTPResponse.parse(idle.received).status, 503)
        harness.source.answerPending()
        harness.finish()
    }

    func testCloseStopsListening() throws {
        let harness = try AdminHarness()
        harness.endpoint.close()
        harness.endpoint.close()
        let client = harness.open(sending: Array("GET /healthz HTTP/1.1\r\n\r\n".utf8))
        harness.spin { client.closed }
        XCTAssertTrue(client.received.isEmpty)
        harness.finish()
    }

    func testConnectionsBeyondTheMaximumAre503() throws {
        let harness = try AdminHarness()
        harness.endpoint.maxConnections = 1
        let first = harness.open()
        harness.spin { harness.endpoint.openConnectionCount == 1 }
        let response = harness.get("/healthz")
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.errorMessage, "too many admin connections")
        first.connection?.enqueue(Array("GET /healthz HTTP/1.1\r\n\r\n".utf8))
        harness.spin { first.closed }
        XCTAssertEqual(try ClusterHTTPResponse.parse(first.received).status, 200)
        harness.finish()
    }

    func testEndpointReleasedWithoutAnyRequestLeavesNoHandle() throws {
        let loop = try EventLoop()
        let source = FakeAdminDataSource()
        var endpoint: AdminEndpoint? = try AdminEndpoint(
            loop: loop, host: "127.0.0.1", port: 0, token: nil, limits: HTTPLimits(), dataSource: source, logger: AdminLogRecorder().logger)
        XCTAssertEqual(loop.openHandleCount, 1)
        endpoint?.close()
        endpoint = nil
        for _ in 0..<4 { loop.runNoWait() }
        XCTAssertEqual(loop.openHandleCount, 0)
        XCTAssertNoThrow(try loop.close())
    }

    func testBindFailureIsAClearError() throws {
        let harness = try AdminHarness()
        XCTAssertThrowsError(try AdminEndpoint(
            loop: harness.loop, host: "127.0.0.1", port: harness.endpoint.port, token: nil, limits: HTTPLimits(),
            dataSource: harness.source, logger: harness.logs.logger)
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("admin endpoint cannot listen on 127.0.0.1:\(harness.endpoint.port): EADDRINUSE"), "\(error)")
        }
        harness.finish()
    }
}
