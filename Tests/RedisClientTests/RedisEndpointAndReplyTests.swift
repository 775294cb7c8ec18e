import RedisClient
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
            "redis://user:pw@h:6379", "redis://h:6379/0", "redis://h?x=1", "redis://[::1", "redis://[::1]x",
        ] {
            XCTAssertNil(RedisEndpoint(url: url), url)
        }
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
