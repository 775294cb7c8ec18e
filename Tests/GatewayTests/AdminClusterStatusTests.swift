import Foundation
@testable import Admin
@testable import Gateway
import HTTPWire
@testable import stampede
import UVLoop
import XCTest

/// `stampede cluster status`: the table, the URL, the response handling and the blocking client.
final class AdminClusterStatusTests: XCTestCase {
    func testTableAlignsColumnsAndSortsByID() {
        var slow = adminNode("node-b", status: "degraded")
        slow.uptimeSeconds = 90_061
        slow.connections = 1_234
        slow.messagesInPerSecond = 0.04
        slow.messagesOutPerSecond = 12_345.67
        slow.lastHeartbeatAgeMilliseconds = 4_250
        slow.redis = "disconnected"
        XCTAssertEqual(ClusterStatusTable.render([slow, adminNode("node-a")]), """
            NODE    ADDRESS         STATUS    UPTIME  CONN  SUBS  IN/s    OUT/s  HEARTBEAT AGE  REDIS
            node-a  10.0.0.6:15674  up         1h02m    12    34   5.3    100.0          250ms  connected
            node-b  10.0.0.6:15674  degraded   1d01h  1234    34   0.0  12345.7           4.3s  disconnected
            2 nodes: 1 up, 1 degraded

            """)
    }

    func testDurations() {
        let cases: [(Int, String)] = [
            (0, "0s"), (59, "59s"), (60, "1m00s"), (3_599, "59m59s"), (3_600, "1h00m"), (86_399, "23h59m"),
            (86_400, "1d00h"), (2 * 86_400 + 5 * 3_600 + 59, "2d05h"), (-1, "-"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(ClusterStatusTable.duration(seconds: seconds), text, "\(seconds)")
        }
    }

    func testHeartbeatAgesAndRates() {
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: 0), "0ms")
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: 999), "999ms")
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: 1_000), "1.0s")
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: 59_949), "59.9s")
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: 61_000), "1m01s")
        XCTAssertEqual(ClusterStatusTable.age(milliseconds: -5), "-")
        XCTAssertEqual(ClusterStatusTable.rate(0), "0.0")
        XCTAssertEqual(ClusterStatusTable.rate(2.25), "2.3")
        XCTAssertEqual(ClusterStatusTable.rate(-0.04), "0.0")
        XCTAssertEqual(ClusterStatusTable.rate(.nan), "-")
    }

    func testSummaryLine() {
        XCTAssertEqual(ClusterStatusTable.summary([]), "0 nodes")
        XCTAssertEqual(ClusterStatusTable.summary([adminNode("a")]), "1 node: 1 up")
        let mixed = [adminNode("a", status: "dead"), adminNode("b"), adminNode("c", status: "weird"), adminNode("d")]
        XCTAssertEqual(ClusterStatusTable.summary(mixed), "4 nodes: 2 up, 1 dead, 1 weird")
    }

    func testAdminURLs() throws {
        XCTAssertEqual(try ClusterAdminURL(parsing: "http://127.0.0.1:15675"), ClusterAdminURL(host: "127.0.0.1", port: 15675))
        XCTAssertEqual(try ClusterAdminURL(parsing: "HTTP://node-1.internal"), ClusterAdminURL(host: "node-1.internal", port: 80))
        XCTAssertEqual(try ClusterAdminURL(parsing: "http://[::1]:9000/"), ClusterAdminURL(host: "::1", port: 9000))
        XCTAssertEqual(try ClusterAdminURL(parsing: "http://proxy:8080/stampede/"), ClusterAdminURL(host: "proxy", port: 8080, pathPrefix: "/stampede"))
        XCTAssertEqual(ClusterAdminURL(host: "::1", port: 9000, pathPrefix: "/p").display, "http://[::1]:9000/p")
        for bad in ["127.0.0.1:15675", "https://h:1", "http://:80", "http://h:0", "http://h:65536", "http://h:x", "http://u:p@h:1", "http://[::1"] {
            XCTAssertThrowsError(try ClusterAdminURL(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid --admin URL '\(bad)': "), "\(error)")
            }
        }
    }

    func testResponseParsing() throws {
        let raw = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A:  b\r\n\r\n{}trailing".utf8)
        let response = try ClusterHTTPResponse.parse(raw)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, Array("{}".utf8))
        XCTAssertEqual(response.header("x-a"), "b")
        XCTAssertEqual(try ClusterHTTPResponse.parse(Array("HTTP/1.0 503 Busy\r\n\r\nuntil close".utf8)).text, "until close")
        XCTAssertThrowsError(try ClusterHTTPResponse.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab".utf8))) { error in
            XCTAssertEqual("\(error)", "the admin endpoint's answer was cut short (2 of 5 bytes)")
        }
        for garbage in ["", "SSH-2.0-OpenSSH\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n"] {
            XCTAssertThrowsError(try ClusterHTTPResponse.parse(Array(garbage.utf8)), garbage)
        }
    }

    func testInterpretingAnswers() throws {
        let url = ClusterAdminURL(host: "127.0.0.1", port: 15675)
        let body = try JSONEncoder().encode(AdminClusterBody(nodes: [adminNode("n1")]))
        let ok = ClusterHTTPResponse(status: 200, headers: [], body: Array(body))
        XCTAssertEqual(try ClusterStatusReport.interpret(ok, from: url).get().nodes.map(\.id), ["n1"])
        let cases: [(ClusterHTTPResponse, String)] = [
            (ClusterHTTPResponse(status: 200, headers: [], body: Array("<html>".utf8)),
             "http://127.0.0.1:15675 did not answer with the cluster JSON (is it a Stampede admin endpoint?)"),
            (ClusterHTTPResponse(status: 401, headers: [], body: []),
             "http://127.0.0.1:15675 refused the request (401): pass --token or set STAMPEDE_ADMIN_TOKEN to admin.token"),
            (HTTPResponse.jsonError(status: 503, message: "redis unreachable").clusterResponse,
             "http://127.0.0.1:15675 answered 503: redis unreachable"),
            (ClusterHTTPResponse(status: 502, headers: [], body: Array("Bad gateway\nmore".utf8)),
             "http://127.0.0.1:15675 answered 502: Bad gateway"),
        ]
        for (response, message) in cases {
            XCTAssertThrowsError(try ClusterStatusReport.interpret(response, from: url).get()) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testClientFetchesTheClusterWithItsToken() throws {
        let harness = try AdminHarness(token: "t0k")
        harness.source.nodes = [adminNode("n2"), adminNode("n1")]
        let url = ClusterAdminURL(host: "127.0.0.1", port: harness.endpoint.port)
        let answered = fetchOnAnotherThread(harness, ClusterAdminClient(url: url, token: "t0k"))
        let body = try ClusterStatusReport.interpret(try answered.get(), from: url).get()
        XCTAssertEqual(body.nodes.map(\.id), ["n1", "n2"])
        let refused = fetchOnAnotherThread(harness, ClusterAdminClient(url: url, token: nil))
        XCTAssertEqual(try refused.get().status, 401)
        harness.finish()
    }

    func testClientReportsATimeout() throws {
        let harness = try AdminHarness()
        harness.source.deferCompletions = true
        let url = ClusterAdminURL(host: "127.0.0.1", port: harness.endpoint.port)
        let answered = fetchOnAnotherThread(harness, ClusterAdminClient(url: url, token: nil, timeoutSeconds: 0.2))
        XCTAssertThrowsError(try answered.get()) { error in
            XCTAssertEqual("\(error)", "no complete answer from http://127.0.0.1:\(harness.endpoint.port): no answer within 0.2 s")
        }
        harness.finish()
    }

    func testClientReportsConnectionRefused() throws {
        let harness = try AdminHarness()
        let port = harness.endpoint.port
        harness.finish()
        let client = ClusterAdminClient(url: ClusterAdminURL(host: "127.0.0.1", port: port), token: nil, timeoutSeconds: 2)
        XCTAssertThrowsError(try client.get("/admin/cluster")) { error in
            XCTAssertEqual("\(error)", "cannot connect to http://127.0.0.1:\(port): connection refused (is a node running there with admin.port set?)")
        }
    }

    /// Runs the blocking client on another thread while this one runs the loop.
    private func fetchOnAnotherThread(_ harness: AdminHarness, _ client: ClusterAdminClient) -> Result<ClusterHTTPResponse, ClusterClientError> {
        let box = ResultBox()
        let thread = Thread {
            box.set(Result { () throws(ClusterClientError) in try client.get("/admin/cluster") })
        }
        thread.start()
        harness.spin { box.get() != nil }
        return box.get() ?? .failure(ClusterClientError(description: "no result"))
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<ClusterHTTPResponse, ClusterClientError>?

    func set(_ value: Result<ClusterHTTPResponse, ClusterClientError>) { lock.withLock { result = value } }
    func get() -> Result<ClusterHTTPResponse, ClusterClientError>? { lock.withLock { result } }
}

extension HTTPResponse {
    /// The same response as the CLI would parse it.
    var clusterResponse: ClusterHTTPResponse {
        // Force-unwrapped: encode() always produces a parsable response.
        try! ClusterHTTPResponse.parse(encode())
    }
}
