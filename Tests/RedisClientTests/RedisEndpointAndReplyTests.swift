@testable import RedisClient
import XCTest

final class RedisEndpointAndReplyTests: XCTestCase {
    func testURLWithHostAndPort() {
        XCTAssertEqual(RedisEndpoint(url: "redis://10.1.2.3:6380"), RedisEndpoint(host: "10.1.2.3", port: 6380))
        XCTAssertEqual(RedisEndpoint(url: "redis://cache.local:7000/"), RedisEndpoint(host: "cache.local", port: 7000))
    }

    func testURLWithoutPortUses6379() {
        XCTAssertEqual(RedisEndpoint(url: "redis://localhost"), RedisEndpoint(host: "localhost", port: 6379))
        XCTAssertEqual(RedisEndpoint(url: "redis://localhost/")?.port, 6379)
    }

    func testBracketedIPv6URL() {
        XCTAssertEqual(RedisEndpoint(url: "redis://[::1]:6390"), RedisEndpoint(host: "::1", port: 6390))
        XCTAssertEqual(RedisEndpoint(url: "redis://[::1]"), RedisEndpoint(host: "::1", port: 6379))
        XCTAssertEqual(RedisEndpoint(host: "::1", port: 6390)?.description, "redis://[::1]:6390")
    }

    func testPortLimits() {
        XCTAssertEqual(RedisEndpoint(url: "redis://h:65535")?.port, 65535)
        XCTAssertNil(RedisEndpoint(url: "redis://h:65536"))
        XCTAssertEqual(RedisEndpoint(url: "redis://h:1")?.port, 1)
        XCTAssertNil(RedisEndpoint(url: "redis://h:0"))
    }

    func testMalformedURLsAreRejected() {
        for url in [
            "", "redis://", "redis://:6379", "http://h:6379", "redis://h:", "redis://h:63a9", "redis://h:-1",
            "redis://user@h:6379", "redis://user:@h", "redis://h:6379/x", "redis://h?x=1", "redis://[::1", "redis://[::1]x",
            "redis://u:p%zz@h", "redis://h/-1",
        ] {
            XCTAssertNil(RedisEndpoint(url: url), url)
        }
    }

    func testCredentialsAndDatabaseAreParsedAndNeverPrinted() throws {
        let acl = try XCTUnwrap(RedisEndpoint(url: "redis://stampede:s%40cret:x@10.0.0.1:6380/2"))
        XCTAssertEqual(acl, RedisEndpoint(host: "10.0.0.1", port: 6380, username: "stampede", password: "s@cret:x", database: 2))
        XCTAssertEqual(acl.description, "redis://stampede:***@10.0.0.1:6380/2")
        XCTAssertEqual(acl.loginCommands, [["AUTH", "stampede", "s@cret:x"].map { Array($0.utf8) }, ["SELECT", "2"].map { Array($0.utf8) }])
        let passwordOnly = try XCTUnwrap(RedisEndpoint(url: "redis://:pw@[::1]/"))
        XCTAssertEqual(passwordOnly.username, nil)
        XCTAssertEqual(passwordOnly.description, "redis://:***@[::1]:6379")
        XCTAssertEqual(passwordOnly.loginCommands, [["AUTH", "pw"].map { Array($0.utf8) }])
        XCTAssertEqual(RedisEndpoint(url: "redis://h:6379/0")?.loginCommands, [])
    }

    func testReplyConveniences() {
        XCTAssertEqual(RedisReply.string(Array("héllo".utf8)).string, "héllo")
        XCTAssertEqual(RedisReply.status("OK").string, "OK")
        XCTAssertNil(RedisReply.error("ERR x").string)
        XCTAssertEqual(RedisReply.string([0, 1]).bytes, [0, 1])
        XCTAssertNil(RedisReply.status("OK").bytes)
        XCTAssertTrue(RedisReply.error("ERR x").isError)
        XCTAssertEqual(RedisReply.error("ERR x").errorMessage, "ERR x")
        XCTAssertFalse(RedisReply.null.isError)
        XCTAssertEqual(RedisReply.integer(-5).integer, -5)
        XCTAssertNil(RedisReply.string([]).integer)
        XCTAssertEqual(RedisReply.array([.null]).array, [.null])
        XCTAssertNil(RedisReply.null.array)
        XCTAssertTrue(RedisReply.null.isNull)
        XCTAssertFalse(RedisReply.array([]).isNull)
    }
}
