import XCTest
import Gateway

/// `auth.default-policy: auto` (the default): what no rule names is allowed on a loopback node
/// (development) and refused on a node that faces a network; `allow` and `deny` are explicit.
final class DefaultPolicyTests: ConfigurationTestCase {
    func testAutoAllowsOnLoopbackOnly() throws {
        XCTAssertEqual(try load().accessDefaultPolicy, "auto")
        XCTAssertTrue(try load().defaultPolicyAllows, "127.0.0.1: development")
        XCTAssertTrue(try load(overrides: [("listen.host", "::1")]).defaultPolicyAllows)
        XCTAssertFalse(try load(overrides: [("listen.host", "0.0.0.0"), ("auth.users", "alice:a-long-passcode")]).defaultPolicyAllows)
        XCTAssertFalse(try load(overrides: [("listen.host", "10.0.0.5"), ("auth.users", "alice:a-long-passcode")]).defaultPolicyAllows)
    }

    func testExplicitPoliciesHoldEverywhere() throws {
        XCTAssertTrue(try load(overrides: [("listen.host", "0.0.0.0"), ("auth.default-policy", "allow")]).defaultPolicyAllows)
        XCTAssertFalse(try load(overrides: [("auth.default-policy", "deny")]).defaultPolicyAllows)
    }
}
