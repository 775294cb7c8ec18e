@testable import Router
import XCTest

final class SubscriptionIndexTests: XCTestCase {
    /// Asserts which of `destinations` a lone subscription to `pattern` receives.
    private func assertPattern(
        _ pattern: String, matches expected: [String], notMatches unexpected: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: pattern)
        for destination in expected {
            XCTAssertEqual(index.match(destination), [1], "\(pattern) should match \(destination)", file: file, line: line)
        }
        for destination in unexpected {
            XCTAssertEqual(index.match(destination), [], "\(pattern) should not match \(destination)", file: file, line: line)
        }
    }

    func testManyHashesInOnePatternMatchInPolynomialTime() {
        // Found by fuzz-access: without remembering where each `#` led, this match explores
        // about C(80, 40) paths and never ends.
        let pattern = "/topic" + String(repeating: "/#", count: 40)
        let long = "/topic" + String(repeating: "/x", count: 40)
        assertPattern(pattern, matches: [long, "/topic/x"], notMatches: ["/queue" + String(repeating: "/x", count: 40)])
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: pattern)
        index.insert(2, for: "/topic/#/y" + String(repeating: "/#", count: 20))
        XCTAssertEqual(index.match(long + "/y/z"), [1, 2])
    }

    func testExactDestinationMatchesOnlyTheIdenticalString() {
        assertPattern("/topic/a.b", matches: ["/topic/a.b"], notMatches: ["/topic/a/b", "/topic/a.b/", "/topic/A.b", "/topic/a", "/topic/a.b.c"])
    }

    func testTextWithStarInsideIsExactNotAPattern() {
        assertPattern("/topic/a*", matches: ["/topic/a*"], notMatches: ["/topic/ab", "/topic/a"])
    }

    func testStarMatchesExactlyOneSegment() {
        assertPattern("/topic/a.*", matches: ["/topic/a.b", "/topic/a.", "/topic/a.*"], notMatches: ["/topic/a", "/topic/a.b.c", "/topic/b.c"])
    }

    func testStarInTheMiddle() {
        assertPattern("/topic/*.price", matches: ["/topic/x.price", "/topic/y/price"], notMatches: ["/topic/price", "/topic/x.y.price"])
    }

    func testHashMatchesZeroOrMoreSegments() {
        assertPattern("/topic/a.#", matches: ["/topic/a", "/topic/a.b", "/topic/a.b.c", "/topic/a/b/c"], notMatches: ["/topic/b", "/topic/ab.c", "/queue/a.b"])
    }

    func testDoubleStarBehavesLikeHash() {
        assertPattern("/topic/a.**", matches: ["/topic/a", "/topic/a.b", "/topic/a.b/c"], notMatches: ["/topic/b.a"])
    }

    func testHashInTheMiddleMatchesAnyRun() {
        assertPattern("/topic/#.end", matches: ["/topic/end", "/topic/x.end", "/topic/x/y.z.end"], notMatches: ["/topic/end.x", "/topic/x"])
    }

    func testSeparatorsAreInterchangeableInPatterns() {
        assertPattern("/topic/a.*", matches: ["/topic/a/b", "/topic/a.b"], notMatches: [])
        assertPattern("/topic/a/*", matches: ["/topic/a.b", "/topic/a/b"], notMatches: [])
    }

    func testExactAndPatternSubscribersAreEachReturnedOnceExactFirst() {
        var index = SubscriptionIndex<String>()
        index.insert("pattern-only", for: "/topic/*")
        index.insert("both", for: "/topic/*")
        index.insert("both", for: "/topic/a")
        index.insert("exact", for: "/topic/a")
        index.insert("both", for: "/topic/#")
        XCTAssertEqual(index.match("/topic/a"), ["both", "exact", "pattern-only"])
        XCTAssertEqual(index.match("/topic/b"), ["pattern-only", "both"])
        XCTAssertEqual(index.match("/topic/a/b"), ["both"])
    }

    func testSubscribersKeepInsertionOrderAfterRemovals() {
        var index = SubscriptionIndex<Int>()
        for subscriber in 0..<40 { index.insert(subscriber, for: "/topic/a") }
        for subscriber in stride(from: 0, to: 40, by: 2) { index.remove(subscriber, for: "/topic/a") }
        XCTAssertEqual(index.match("/topic/a"), Array(stride(from: 1, to: 40, by: 2)))
        index.insert(0, for: "/topic/a")
        XCTAssertEqual(index.subscribers(of: "/topic/a"), Array(stride(from: 1, to: 40, by: 2)) + [0])
    }

    func testInsertReportsFirstInterestAndRemoveReportsLast() {
        var index = SubscriptionIndex<Int>()
        for pattern in ["/topic/a", "/topic/*"] {
            XCTAssertTrue(index.insert(1, for: pattern), pattern)
            XCTAssertFalse(index.insert(2, for: pattern), pattern)
            XCTAssertFalse(index.insert(2, for: pattern), "duplicate \(pattern)")
            XCTAssertFalse(index.remove(3, for: pattern), "never subscribed \(pattern)")
            XCTAssertFalse(index.remove(1, for: pattern), pattern)
            XCTAssertTrue(index.remove(2, for: pattern), pattern)
            XCTAssertFalse(index.remove(2, for: pattern), "already gone \(pattern)")
            XCTAssertTrue(index.insert(1, for: pattern), "interest again \(pattern)")
        }
    }

    func testCountsAndPatterns() {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: "/topic/a")
        index.insert(2, for: "/topic/a")
        index.insert(1, for: "/topic/#")
        index.insert(1, for: "/topic/#")
        XCTAssertEqual(index.patternCount, 2)
        XCTAssertEqual(index.subscriptionCount, 3)
        XCTAssertEqual(Set(index.patterns), ["/topic/a", "/topic/#"])
        XCTAssertEqual(index.subscribers(of: "/topic/a"), [1, 2])
        XCTAssertEqual(index.subscribers(of: "/topic/#"), [1])
        XCTAssertEqual(index.subscribers(of: "/topic/*"), [])
        index.remove(1, for: "/topic/#")
        index.remove(1, for: "/topic/a")
        XCTAssertEqual(index.patternCount, 1)
        XCTAssertEqual(index.subscriptionCount, 1)
        XCTAssertEqual(index.patterns, ["/topic/a"])
    }

    func testCacheSeesExactInsertAndRemove() {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: "/topic/*")
        XCTAssertEqual(index.match("/topic/a"), [1])
        XCTAssertEqual(index.cachedMatchCount, 1)
        index.insert(2, for: "/topic/a")
        XCTAssertEqual(index.match("/topic/a"), [2, 1])
        index.remove(2, for: "/topic/a")
        XCTAssertEqual(index.match("/topic/a"), [1])
    }

    func testExactChangeKeepsOtherCachedEntries() {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: "/topic/*")
        _ = index.match("/topic/a")
        _ = index.match("/topic/b")
        index.insert(2, for: "/topic/a")
        XCTAssertEqual(index.cachedMatchCount, 1, "only /topic/a's entry is dropped")
        XCTAssertEqual(index.match("/topic/b"), [1])
    }

    func testCacheIsInvalidatedByPatternInsertAndRemove() {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: "/topic/a")
        XCTAssertEqual(index.match("/topic/a"), [1])
        index.insert(2, for: "/topic/#")
        XCTAssertEqual(index.cachedMatchCount, 0)
        XCTAssertEqual(index.match("/topic/a"), [1, 2])
        index.insert(3, for: "/topic/#")
        XCTAssertEqual(index.match("/topic/a"), [1, 2, 3])
        index.remove(2, for: "/topic/#")
        XCTAssertEqual(index.match("/topic/a"), [1, 3])
        index.remove(3, for: "/topic/#")
        XCTAssertEqual(index.match("/topic/a"), [1])
    }

    func testCacheHoldsAtMostItsCapacity() {
        var index = SubscriptionIndex<Int>(cacheCapacity: 2)
        index.insert(1, for: "/topic/#")
        _ = index.match("/topic/a")
        _ = index.match("/topic/b")
        XCTAssertEqual(index.cachedMatchCount, 2, "at capacity")
        XCTAssertEqual(index.match("/topic/c"), [1])
        XCTAssertLessThanOrEqual(index.cachedMatchCount, 2, "capacity + 1")
        XCTAssertEqual(index.match("/topic/a"), [1])
    }

    func testZeroCapacityDisablesTheCache() {
        var index = SubscriptionIndex<Int>(cacheCapacity: 0)
        index.insert(1, for: "/topic/#")
        XCTAssertEqual(index.match("/topic/a"), [1])
        XCTAssertEqual(index.cachedMatchCount, 0)
        index.insert(2, for: "/topic/a")
        XCTAssertEqual(index.match("/topic/a"), [2, 1])
    }

    func testSpellingsSharingATrieNodeAreIndependent() {
        var index = SubscriptionIndex<Int>()
        index.insert(1, for: "/topic/#")
        index.insert(2, for: "/topic/**")
        index.insert(3, for: "/topic.#")
        XCTAssertEqual(index.match("/topic/x"), [1, 2, 3])
        XCTAssertTrue(index.remove(1, for: "/topic/#"))
        XCTAssertEqual(index.match("/topic/x"), [2, 3])
        XCTAssertEqual(index.subscribers(of: "/topic/**"), [2])
    }

    func testRemovingAllPatternsPrunesTheTrie() {
        var index = SubscriptionIndex<Int>()
        let patterns = ["/topic/a.*", "/topic/a.#", "/topic/*.b.#", "/x/**/y"]
        for pattern in patterns { index.insert(1, for: pattern) }
        var trie = PatternTrie()
        XCTAssertEqual(trie.nodeCount, 1)
        let syntax = DestinationSyntax()
        let nodes = patterns.map { trie.insert($0, tokens: syntax.tokens(of: $0)) }
        XCTAssertGreaterThan(trie.nodeCount, 5)
        for (pattern, node) in zip(patterns, nodes) { trie.remove(pattern, from: node) }
        XCTAssertEqual(trie.nodeCount, 1)
        for pattern in patterns { index.remove(1, for: pattern) }
        XCTAssertEqual(index.match("/topic/a.b"), [])
        XCTAssertEqual(index.patternCount, 0)
    }

    func testCopiesAreIndependentValues() {
        var original = SubscriptionIndex<Int>()
        original.insert(1, for: "/topic/*")
        var copy = original
        copy.insert(2, for: "/topic/*")
        copy.insert(3, for: "/topic/a.#")
        XCTAssertEqual(original.match("/topic/a"), [1])
        XCTAssertEqual(copy.match("/topic/a"), [3, 1, 2], "the literal branch (a.#) before *")
    }

    func testManyPatternsMatchOnlyTheirDestinations() {
        var index = SubscriptionIndex<Int>()
        for n in 0..<200 { index.insert(n, for: "/topic/s\(n).*") }
        XCTAssertEqual(index.match("/topic/s42.x"), [42])
        XCTAssertEqual(index.match("/topic/s42"), [])
    }
}
