import Foundation
@testable import Admin
@testable import Gateway
@testable import stampede
import XCTest

/// The dashboard page and the API it uses: sessions, history and the disconnect call.
final class AdminDashboardTests: XCTestCase {
    private let token = "dash-token"
    private var auth: [(String, String)] { [("Authorization", "Bearer \(token)")] }

    private func session(_ id: String, user: String? = "alice") -> AdminSessionView {
        AdminSessionView(id: id, node: "fake-node", user: user, endpoint: "websocket", transport: "websocket", peer: "127.0.0.1:5000",
                         state: "connected", connectedSeconds: 3, subscriptions: 1)
    }

    func testDashboardIsOneSelfContainedHTMLPageServedWithoutTheToken() throws {
        let harness = try AdminHarness(token: token)
        for path in ["/", "/dashboard"] {
            let response = harness.get(path)
            XCTAssertEqual(response?.status, 200, path)
            XCTAssertEqual(response?.header("Content-Type"), "text/html; charset=utf-8")
            // The SVG namespace is a name, not something the browser loads.
            let page = (response?.text ?? "").replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
            XCTAssertTrue(page.hasPrefix("<!doctype html>"))
            // Works offline: nothing is loaded from elsewhere.
            XCTAssertFalse(page.contains("http://") || page.contains("https://"), "the page must not load anything from outside")
            XCTAssertFalse(page.contains("<script src") || page.contains("<link"))
            XCTAssertTrue(response?.header("Content-Security-Policy")?.contains("connect-src 'self'") ?? false)
        }
        harness.finish()
    }

    func testDashboardDataNeedsTheToken() throws {
        let harness = try AdminHarness(token: token)
        XCTAssertEqual(harness.get("/admin/sessions")?.status, 401)
        XCTAssertEqual(harness.get("/admin/history")?.status, 401)
        XCTAssertEqual(harness.get("/admin/sessions/1/disconnect", method: "POST")?.status, 401)
        harness.finish()
    }

    func testSessionsArePagedAndNameTheAnsweringNodeAndEachSessionsNode() throws {
        let harness = try AdminHarness(token: token)
        harness.source.adminSessions = [session("1"), session("2", user: nil), session("3")]
        let body = harness.get("/admin/sessions?offset=1&limit=1", headers: auth)?.decoded(AdminSessionsBody.self)
        XCTAssertEqual(body, AdminSessionsBody(node: "fake-node", total: 3, offset: 1, limit: 1, sessions: [session("2", user: nil)]))
        harness.finish()
    }

    func testHistoryListsTheSamplesOldestFirst() throws {
        let harness = try AdminHarness(token: token)
        harness.source.adminHistory = [
            AdminRateSample(at: 1, connections: 1, subscriptions: 0, messagesInPerSecond: 0, messagesOutPerSecond: 0),
            AdminRateSample(at: 2, connections: 2, subscriptions: 1, messagesInPerSecond: 3.5, messagesOutPerSecond: 7),
        ]
        let body = harness.get("/admin/history", headers: auth)?.decoded(AdminHistoryBody.self)
        XCTAssertEqual(body?.node, "fake-node")
        XCTAssertEqual(body?.samples.map(\.at), [1, 2])
        harness.finish()
    }

    func testDisconnectIsAPostThatEndsTheSessionOr404() throws {
        let harness = try AdminHarness(token: token)
        harness.source.adminSessions = [session("7"), session("node2/8")]
        // A session of another node, its id percent-encoded as the dashboard sends it.
        let remote = harness.get("/admin/sessions/node2%2F8/disconnect", method: "POST", headers: auth)
        XCTAssertEqual(remote?.status, 200)
        XCTAssertEqual(harness.source.disconnected, ["node2/8"])
        harness.source.disconnected = []
        let wrongMethod = harness.get("/admin/sessions/7/disconnect", headers: auth)
        XCTAssertEqual(wrongMethod?.status, 405)
        XCTAssertEqual(wrongMethod?.header("Allow"), "POST")
        XCTAssertEqual(harness.source.disconnected, [])
        let done = harness.get("/admin/sessions/7/disconnect", method: "POST", headers: auth + [("Content-Length", "0")])
        XCTAssertEqual(done?.status, 200)
        XCTAssertEqual(done?.text, #"{"disconnected":"7"}"#)
        XCTAssertEqual(harness.source.disconnected, ["7"])
        let again = harness.get("/admin/sessions/7/disconnect", method: "POST", headers: auth)
        XCTAssertEqual(again?.status, 404)
        XCTAssertEqual(harness.get("/admin/sessions/7/other", method: "POST", headers: auth)?.status, 404)
        XCTAssertEqual(harness.get("/admin/sessions/%zz/disconnect", method: "POST", headers: auth)?.status, 400)
        harness.finish()
    }

    func testHistoryRingKeepsTheLastSamplesOldestFirst() {
        var history = AdminHistory(capacity: 3)
        func sample(_ at: Int64) -> AdminRateSample {
            AdminRateSample(at: at, connections: 0, subscriptions: 0, messagesInPerSecond: 0, messagesOutPerSecond: 0)
        }
        XCTAssertEqual(history.samples, [])
        for at: Int64 in 1...2 { history.append(sample(at)) }
        XCTAssertEqual(history.samples.map(\.at), [1, 2])
        for at: Int64 in 3...7 { history.append(sample(at)) }
        XCTAssertEqual(history.samples.map(\.at), [5, 6, 7])
        var none = AdminHistory(capacity: 0)
        none.append(sample(1))
        XCTAssertEqual(none.samples, [])
    }
}
