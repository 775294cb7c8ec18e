import Foundation
@testable import Admin
@testable import Gateway
import HTTPWire
import Logging
@testable import stampede
import UVLoop
import XCTest

/// Every route of the admin endpoint over a real loopback connection.
final class AdminEndpointTests: XCTestCase {
    func testHealthzAnswersOkAndClosesTheConnection() throws {
        let harness = try AdminHarness()
        let response = harness.get("/healthz")
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.text, #"{"status":"ok"}"#)
        XCTAssertEqual(response?.header("Content-Type"), "application/json")
        XCTAssertEqual(response?.header("Connection"), "close")
        harness.finish()
    }

    func testReadyzIs200WhenReady() throws {
        let harness = try AdminHarness()
        let response = harness.get("/readyz")
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.text, #"{"status":"ok"}"#)
        harness.finish()
    }

    func testReadyzIs503WithTheStatusTextWhenNotReady() throws {
        let harness = try AdminHarness()
        harness.source.adminReadiness = (false, "degraded: redis unreachable")
        let response = harness.get("/readyz")
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.text, #"{"status":"degraded: redis unreachable"}"#)
        harness.finish()
    }

    func testMetricsServesPrometheusText() throws {
        let harness = try AdminHarness()
        harness.source.adminMetrics = [
            MetricSample(name: "stampede_connections", help: "Open connections.", type: .gauge, value: 3),
        ]
        let response = harness.get("/metrics")
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(response?.text, "# HELP stampede_connections Open connections.\n# TYPE stampede_connections gauge\nstampede_connections 3\n")
        harness.finish()
    }

    func testClusterListsNodesSortedByIDWithSortedKeys() throws {
        let harness = try AdminHarness()
        harness.source.nodes = [adminNode("node-c"), adminNode("node-a", status: "dead"), adminNode("node-b")]
        let response = harness.get("/admin/cluster")
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.decoded(AdminClusterBody.self)?.nodes.map(\.id), ["node-a", "node-b", "node-c"])
        XCTAssertEqual(response?.decoded(AdminClusterBody.self)?.nodes.first, adminNode("node-a", status: "dead"))
        XCTAssertTrue(response?.text.hasPrefix(#"{"nodes":[{"address":"10.0.0.6:15674","connections":12,"#) ?? false, response?.text ?? "")
        harness.finish()
    }

    func testDestinationsDefaultToTheFirst100SortedByName() throws {
        let harness = try AdminHarness()
        harness.source.destinations = (0..<150).reversed().map { index in
            AdminDestinationView(destination: "/topic/t\(1000 + index)", nodes: ["n1": 1], subscribers: 1)
        }
        let body = harness.get("/admin/destinations")?.decoded(AdminDestinationsBody.self)
        XCTAssertEqual(body?.total, 150)
        XCTAssertEqual(body?.offset, 0)
        XCTAssertEqual(body?.limit, 100)
        XCTAssertEqual(body?.destinations.count, 100)
        XCTAssertEqual(body?.destinations.first?.destination, "/topic/t1000")
        XCTAssertEqual(body?.destinations.last?.destination, "/topic/t1099")
        harness.finish()
    }

    func testDestinationSlashesAreNotEscaped() throws {
        let harness = try AdminHarness()
        harness.source.destinations = [AdminDestinationView(destination: "/queue/a", nodes: ["n1": 2], subscribers: 2)]
        XCTAssertEqual(
            harness.get("/admin/destinations")?.text,
            #"{"destinations":[{"destination":"/queue/a","nodes":{"n1":2},"subscribers":2}],"limit":100,"offset":0,"total":1}"#)
        harness.finish()
    }

    func testPaginationEdges() throws {
        let harness = try AdminHarness()
        harness.source.destinations = (0..<5).map { AdminDestinationView(destination: "/topic/\($0)", nodes: [:], subscribers: 0) }
        let cases: [(query: String, names: [String])] = [
            ("offset=0&limit=2", ["/topic/0", "/topic/1"]),
            ("offset=4&limit=2", ["/topic/4"]),
            ("offset=5", []),
            ("offset=6", []),
            ("offset=\(Int.max)&limit=1000", []),
            ("limit=0", []),
            ("limit=1000", ["/topic/0", "/topic/1", "/topic/2", "/topic/3", "/topic/4"]),
            ("limit=1&limit=2", ["/topic/0", "/topic/1"]),
            ("offset=3&other=x", ["/topic/3", "/topic/4"]),
            ("limit=%32", ["/topic/0", "/topic/1"]),
        ]
        for (query, names) in cases {
            let body = harness.get("/admin/destinations?\(query)")?.decoded(AdminDestinationsBody.self)
            XCTAssertEqual(body?.destinations.map(\.destination), names, query)
            XCTAssertEqual(body?.total, 5, query)
        }
        harness.finish()
    }

    func testBadPaginationNumbersAre400() throws {
        let harness = try AdminHarness()
        for query in ["limit=1001", "offset=-1", "limit=-1", "offset=abc", "limit=", "offset=+1", "limit=1.5",
                      "offset=99999999999999999999", "limit=%zz"] {
            for path in ["/admin/destinations", "/admin/users"] {
                let response = harness.get("\(path)?\(query)")
                XCTAssertEqual(response?.status, 400, "\(path)?\(query)")
                XCTAssertNotNil(response?.errorMessage, query)
            }
        }
        XCTAssertEqual(harness.source.requestCount, 0)
        harness.finish()
    }

    func testUsersCountOnlineAndSessionsOverAllUsers() throws {
        let harness = try AdminHarness()
        harness.source.users = [
            AdminUserView(user: "carol", sessions: 0, nodes: [:]),
            AdminUserView(user: "alice", sessions: 2, nodes: ["n1": 1, "n2": 1]),
            AdminUserView(user: "bob", sessions: 3, nodes: ["n1": 3]),
        ]
        let body = harness.get("/admin/users?offset=1&limit=1")?.decoded(AdminUsersBody.self)
        XCTAssertEqual(body, AdminUsersBody(
            total: 3, online: 2, sessions: 5, offset: 1, limit: 1, users: [AdminUserView(user: "bob", sessions: 3, nodes: ["n1": 3])]))
        harness.finish()
    }

    func testUserByIDIsPercentDecoded() throws {
        let harness = try AdminHarness()
        harness.source.users = [
            AdminUserView(user: "alice@example.com", sessions: 1, nodes: ["n1": 1]),
            AdminUserView(user: "a/b é", sessions: 2, nodes: ["n2": 2]),
        ]
        XCTAssertEqual(harness.get("/admin/users/alice%40example.com")?.decoded(AdminUserView.self)?.sessions, 1)
        XCTAssertEqual(harness.get("/admin/users/a%2Fb%20%C3%A9")?.decoded(AdminUserView.self)?.sessions, 2)
        XCTAssertEqual(harness.get("/admin/users/alice@example.com?ignored=1")?.decoded(AdminUserView.self)?.user, "alice@example.com")
        harness.finish()
    }

    func testUnknownUserIs404() throws {
        let harness = try AdminHarness()
        harness.source.users = [AdminUserView(user: "alice", sessions: 1, nodes: [:])]
        let response = harness.get("/admin/users/mallory")
        XCTAssertEqual(response?.status, 404)
        XCTAssertEqual(response?.errorMessage, "no such user")
        harness.finish()
    }

    func testMalformedPercentEncodingInUserIDIs400() throws {
        let harness = try AdminHarness()
        for target in ["/admin/users/a%2", "/admin/users/%zz", "/admin/users/%C3"] {
            XCTAssertEqual(harness.get(target)?.status, 400, target)
        }
        harness.finish()
    }

    func testUnknownPathsAre404() throws {
        let harness = try AdminHarness()
        for target in ["/index.html", "/admin", "/admin/", "/admin/cluster/", "/admin/users/", "/admin/users/a/b", "/healthz/x", "/HEALTHZ"] {
            let response = harness.get(target)
            XCTAssertEqual(response?.status, 404, target)
            XCTAssertEqual(response?.header("Content-Type"), "application/json", target)
        }
        harness.finish()
    }

    func testMethodsOtherThanGETAre405WithAllow() throws {
        let harness = try AdminHarness()
        for (method, target) in [("POST", "/admin/cluster"), ("HEAD", "/healthz"), ("DELETE", "/admin/users/alice"), ("PUT", "/metrics")] {
            let response = harness.get(target, method: method)
            XCTAssertEqual(response?.status, 405, "\(method) \(target)")
            XCTAssertEqual(response?.header("Allow"), "GET")
        }
        XCTAssertEqual(harness.source.requestCount, 0)
        harness.finish()
    }

    func testDataSourceErrorsBecomeJSONErrors() throws {
        let harness = try AdminHarness()
        harness.source.failure = AdminError(status: 503, message: "redis unreachable")
        for target in ["/admin/cluster", "/admin/destinations", "/admin/users", "/admin/users/x"] {
            let response = harness.get(target)
            XCTAssertEqual(response?.status, 503, target)
            XCTAssertEqual(response?.errorMessage, "redis unreachable", target)
        }
        harness.source.failure = AdminError(status: 200, message: "not an error status")
        XCTAssertEqual(harness.get("/admin/cluster")?.status, 500)
        harness.finish()
    }

    func testAValueJSONCannotEncodeIs500() throws {
        let harness = try AdminHarness()
        var node = adminNode("n1")
        node.messagesInPerSecond = .nan
        harness.source.nodes = [node]
        XCTAssertEqual(harness.get("/admin/cluster")?.status, 500)
        harness.finish()
    }

    func testCompletionOnALaterTurnIsAnswered() throws {
        let harness = try AdminHarness()
        harness.source.deferCompletions = true
        harness.source.nodes = [adminNode("n1")]
        let client = harness.open(sending: Array("GET /admin/cluster HTTP/1.1\r\n\r\n".utf8))
        harness.spin { !harness.source.pending.isEmpty }
        XCTAssertTrue(client.received.isEmpty)
        harness.source.answerPending()
        harness.spin { client.closed }
        XCTAssertEqual(try ClusterHTTPResponse.parse(client.received).decoded(AdminClusterBody.self)?.nodes.count, 1)
        harness.finish()
    }

    func testCompletionAfterTheClientLeftIsDropped() throws {
        let harness = try AdminHarness()
        harness.source.deferCompletions = true
        let client = harness.open(sending: Array("GET /admin/users HTTP/1.1\r\n\r\n".utf8))
        harness.spin { !harness.source.pending.isEmpty }
        client.connection?.close(afterFlush: false)
        harness.spin { client.closed && harness.endpoint.openConnectionCount == 0 }
        harness.source.answerPending()
        harness.finish()
    }

    func testEachRequestLogsOneDebugLine() throws {
        let harness = try AdminHarness()
        _ = harness.get("/healthz")
        _ = harness.get("/nowhere?x=1")
        let lines = harness.logs.records.filter { $0.message == "admin request" }
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.map(\.level), [.debug, .debug])
        XCTAssertEqual(lines.map { $0.metadata["http.path"]?.description }, ["/healthz", "/nowhere"])
        XCTAssertEqual(lines.map { $0.metadata["http.status"]?.description }, ["200", "404"])
        XCTAssertEqual(lines.map { $0.metadata["http.method"]?.description }, ["GET", "GET"])
        harness.finish()
    }
}
