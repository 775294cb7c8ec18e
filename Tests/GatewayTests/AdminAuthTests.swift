@testable import Admin
@testable import Gateway
import HTTPWire
@testable import stampede
import UVLoop
import XCTest

/// Bearer token checks and the loopback rule.
final class AdminAuthTests: XCTestCase {
    static let protectedTargets = ["/admin/cluster", "/admin/destinations", "/admin/users", "/admin/users/alice", "/metrics"]

    func testProtectedRoutesNeedTheBearerToken() throws {
        let harness = try AdminHarness(token: "s3cret-token")
        harness.source.users = [AdminUserView(user: "alice", sessions: 1, nodes: [:])]
        for target in Self.protectedTargets {
            let refused = harness.get(target)
            XCTAssertEqual(refused?.status, 401, target)
            XCTAssertEqual(refused?.header("WWW-Authenticate"), "Bearer", target)
            XCTAssertEqual(refused?.header("Content-Type"), "application/json", target)
            XCTAssertEqual(harness.get(target, headers: [("Authorization", "Bearer s3cret-token")])?.status, 200, target)
        }
        XCTAssertEqual(harness.source.requestCount, 4)
        harness.finish()
    }

    func testWrongTokensAreRefused() throws {
        let harness = try AdminHarness(token: "s3cret-token")
        for value in ["Bearer s3cret-toke", "Bearer s3cret-token2", "Bearer S3CRET-TOKEN", "Bearer", "Bearer ",
                      "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearers3cret-token", ""] {
            XCTAssertEqual(harness.get("/admin/cluster", headers: [("Authorization", value)])?.status, 401, value)
        }
        harness.finish()
    }

    func testSchemeIsCaseInsensitiveAndExtraSpacesAreAllowed() throws {
        let harness = try AdminHarness(token: "t")
        for value in ["bearer t", "BEARER t", "Bearer   t"] {
            XCTAssertEqual(harness.get("/admin/cluster", headers: [("Authorization", value)])?.status, 200, value)
        }
        harness.finish()
    }

    func testProbesStayOpenWithATokenSet() throws {
        let harness = try AdminHarness(token: "t")
        XCTAssertEqual(harness.get("/healthz")?.status, 200)
        XCTAssertEqual(harness.get("/readyz")?.status, 200)
        harness.finish()
    }

    func testNoTokenMeansNoCheckOnLoopback() throws {
        for token in [nil, ""] as [String?] {
            let harness = try AdminHarness(token: token)
            XCTAssertEqual(harness.get("/admin/cluster")?.status, 200)
            XCTAssertEqual(harness.get("/metrics")?.status, 200)
            harness.finish()
        }
    }

    func testAuthIsCheckedBeforeTheMethod() throws {
        let harness = try AdminHarness(token: "t")
        XCTAssertEqual(harness.get("/admin/cluster", method: "POST")?.status, 401)
        XCTAssertEqual(harness.get("/admin/cluster", method: "POST", headers: [("Authorization", "Bearer t")])?.status, 405)
        XCTAssertEqual(harness.get("/nowhere")?.status, 404)
        harness.finish()
    }

    func testNonLoopbackHostWithoutTokenIsRefused() throws {
        let loop = try EventLoop()
        let source = FakeAdminDataSource()
        for token in [nil, ""] as [String?] {
            XCTAssertThrowsError(try AdminEndpoint(
                loop: loop, host: "0.0.0.0", port: 0, token: token, limits: HTTPLimits(), dataSource: source,
                logger: AdminLogRecorder().logger)
            ) { error in
                XCTAssertEqual("\(error)", "admin endpoint on 0.0.0.0 needs admin.token")
            }
        }
        XCTAssertEqual(loop.openHandleCount, 0)
        XCTAssertNoThrow(try loop.close())
    }

    func testNonLoopbackHostWithTokenListens() throws {
        let harness = try AdminHarness(token: "t", host: "0.0.0.0")
        XCTAssertEqual(harness.get("/admin/cluster", headers: [("Authorization", "Bearer t")])?.status, 200)
        harness.finish()
    }

    func testLocalhostBindsTheLoopbackAddress() throws {
        let harness = try AdminHarness(host: "localhost")
        XCTAssertEqual(harness.get("/healthz")?.status, 200)
        harness.finish()
    }

    func testLoopbackAddresses() {
        for host in ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LocalHost",
                     "::ffff:127.0.0.1"] {
            XCTAssertTrue(AdminEndpoint.isLoopback(host), host)
        }
        for host in ["0.0.0.0", "10.0.0.1", "128.0.0.1", "126.255.255.255", "::", "::2", "::ffff:10.0.0.1", "127.0.0.1.nip.io",
                     "127.0.0.256", "", "example.com"] {
            XCTAssertFalse(AdminEndpoint.isLoopback(host), host)
        }
    }

    func testConstantTimeEquality() {
        let token = Array("abc".utf8)
        XCTAssertTrue(AdminRouting.constantTimeEquals(Array("abc".utf8)[...], token))
        for presented in ["", "ab", "abd", "abcd", "abcabc", "xbc"] {
            XCTAssertFalse(AdminRouting.constantTimeEquals(Array(presented.utf8)[...], token), presented)
        }
    }
}
