import Router
import XCTest

final class DestinationSyntaxTests: XCTestCase {
    let syntax = DestinationSyntax()

    func testDefaultsAreSlashDotStarHashAndDoubleStar() {
        XCTAssertEqual(syntax.separators, [UInt8(ascii: "/"), UInt8(ascii: ".")])
        XCTAssertEqual(syntax.singleWildcard, "*")
        XCTAssertEqual(syntax.multiWildcard, ["#", "**"])
    }

    func testSegmentsSplitOnEverySeparatorAndKeepEmptyOnes() {
        XCTAssertEqual(syntax.segments(of: "/topic/a.b"), ["", "topic", "a", "b"])
        XCTAssertEqual(syntax.segments(of: "a..b/"), ["a", "", "b", ""])
        XCTAssertEqual(syntax.segments(of: ""), [""])
        XCTAssertEqual(syntax.segments(of: "/tópic/ä.ß"), ["", "tópic", "ä", "ß"])
    }

    func testWholeSegmentWildcardsMakeAPattern() {
        XCTAssertTrue(syntax.isPattern("/topic/*"))
        XCTAssertTrue(syntax.isPattern("/topic/#"))
        XCTAssertTrue(syntax.isPattern("/topic/**"))
        XCTAssertTrue(syntax.isPattern("/topic/a.*.c"))
        XCTAssertTrue(syntax.isPattern("*"))
        XCTAssertTrue(syntax.isPattern("/topic/#/end"))
    }

    func testWildcardCharactersInsideTextAreNotAPattern() {
        XCTAssertFalse(syntax.isPattern("/topic/a*"))
        XCTAssertFalse(syntax.isPattern("/topic/*a"))
        XCTAssertFalse(syntax.isPattern("/topic/#x"))
        XCTAssertFalse(syntax.isPattern("/topic/***"))
        XCTAssertFalse(syntax.isPattern("/topic/a.b"))
        XCTAssertFalse(syntax.isPattern(""))
    }

    func testCustomSyntaxUsesOnlyItsOwnSeparatorsAndTokens() {
        let custom = DestinationSyntax(separators: [UInt8(ascii: ":")], singleWildcard: "+", multiWildcard: [">"])
        XCTAssertEqual(custom.segments(of: "a:b/c.d"), ["a", "b/c.d"])
        XCTAssertTrue(custom.isPattern("a:+"))
        XCTAssertTrue(custom.isPattern("a:>"))
        XCTAssertFalse(custom.isPattern("a:*"))
        XCTAssertFalse(custom.isPattern("a/+"))
    }
}
