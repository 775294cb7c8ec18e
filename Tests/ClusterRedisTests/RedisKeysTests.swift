@testable import ClusterRedis
import XCTest

final class RedisKeysTests: XCTestCase {
    private let keys = RedisKeys(prefix: "stampede")
    private let separators: [UInt8] = [UInt8(ascii: "/"), UInt8(ascii: ".")]
    private let wildcards: Set<String> = ["*", "#", "**"]

    func testWildcardSegmentsBecomeGlobStars() {
        XCTAssertEqual(keys.destinationGlob("/topic/chat.*", separators: separators, wildcards: wildcards), "stampede:d:/topic/chat.*")
        XCTAssertEqual(keys.destinationGlob("/topic/#", separators: separators, wildcards: wildcards), "stampede:d:/topic/*")
        XCTAssertEqual(keys.destinationGlob("/topic/a/**/z", separators: separators, wildcards: wildcards), "stampede:d:/topic/a/*/z")
    }

    func testGlobCharactersInLiteralSegmentsAreEscaped() {
        XCTAssertEqual(keys.destinationGlob("/topic/a?b.[x].*", separators: separators, wildcards: wildcards),
                       "stampede:d:/topic/a\\?b.\\[x\\].*")
        XCTAssertEqual(keys.destinationGlob("/topic/a*b.*", separators: separators, wildcards: wildcards),
                       "stampede:d:/topic/a\\*b.*", "a star inside a segment is literal")
    }

    func testChannelAndKeyNamesShareThePrefix() {
        let other = RedisKeys(prefix: "blue")
        XCTAssertEqual(other.destinationChannel("/topic/x"), "blue:d:/topic/x")
        XCTAssertEqual(other.userChannel("alice"), "blue:u:alice")
        XCTAssertEqual(other.queueStream("/queue/q"), "blue:q:/queue/q")
        XCTAssertEqual(other.queueNotifyChannel("/queue/q"), "blue:qn:/queue/q")
        XCTAssertEqual(other.node("n1"), "blue:node:n1")
        XCTAssertEqual(other.nodes, "blue:nodes")
    }
}
