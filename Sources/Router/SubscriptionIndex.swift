/// Destination → subscribers, for exact destinations and wildcard patterns.
///
/// Exact destinations live in a hash map, patterns (see `DestinationSyntax`) in a token trie
/// with wildcard children. `match` results are kept in a bounded cache: changing an exact
/// destination drops only that destination's entry, changing a pattern bumps a generation
/// counter that empties the cache on the next lookup. A full cache is emptied too (cheap, and
/// hot destinations come back on their next lookup).
public struct SubscriptionIndex<Subscriber: Hashable & Sendable>: Sendable {
    @usableFromInline
    struct PatternEntry: Sendable {
        @usableFromInline var subscribers: InsertionOrderedSet<Subscriber>
        @usableFromInline var node: Int

        @inlinable
        init(node: Int) {
            subscribers = InsertionOrderedSet()
            self.node = node
        }
    }

    /// The rules for splitting destinations and spotting wildcards.
    public let syntax: DestinationSyntax
    /// Most destinations whose match result is kept; 0 turns the cache off.
    public let cacheCapacity: Int

    @usableFromInline var exact: [String: InsertionOrderedSet<Subscriber>]
    @usableFromInline var wildcard: [String: PatternEntry]
    @usableFromInline var trie: PatternTrie
    @usableFromInline var cache: [String: [Subscriber]]
    @usableFromInline var generation: UInt64
    @usableFromInline var cacheGeneration: UInt64
    @usableFromInline var storedSubscriptionCount: Int

    /// An empty index.
    @inlinable
    public init(syntax: DestinationSyntax = .init(), cacheCapacity: Int = 4096) {
        self.syntax = syntax
        self.cacheCapacity = max(0, cacheCapacity)
        exact = [:]
        wildcard = [:]
        trie = PatternTrie()
        cache = [:]
        generation = 0
        cacheGeneration = 0
        storedSubscriptionCount = 0
    }

    /// Number of (subscriber, pattern) pairs.
    @inlinable public var subscriptionCount: Int { storedSubscriptionCount }

    /// Adds `subscriber` to `pattern` (exact destination or wildcard pattern). Returns true if
    /// the pattern had no subscriber before: the first interest in it.
    @inlinable @discardableResult
    public mutating func insert(_ subscriber: Subscriber, for pattern: String) -> Bool {
        if syntax.isPattern(pattern) {
            if wildcard[pattern] != nil {
                if wildcard[pattern]!.subscribers.insert(subscriber) {
                    storedSubscriptionCount += 1
                    generation &+= 1
                }
                return false
            }
            var entry = PatternEntry(node: trie.insert(pattern, tokens: syntax.tokens(of: pattern)))
            _ = entry.subscribers.insert(subscriber)
            wildcard[pattern] = entry
            storedSubscriptionCount += 1
            generation &+= 1
            return true
        }
        var isFirst = false
        let inserted = exact[pattern, default: InsertionOrderedSet()].insert(subscriber)
        if inserted {
            isFirst = exact[pattern]!.count == 1
            storedSubscriptionCount += 1
            cache[pattern] = nil
        }
        return isFirst
    }

    /// Removes `subscriber` from `pattern`. Returns true if it was the last subscriber of the
    /// pattern: the end of interest in it.
    @inlinable @discardableResult
    public mutating func remove(_ subscriber: Subscriber, for pattern: String) -> Bool {
        if exact[pattern] != nil {
            guard exact[pattern]!.remove(subscriber) else { return false }
            storedSubscriptionCount -= 1
            cache[pattern] = nil
            if exact[pattern]!.isEmpty {
                exact[pattern] = nil
                return true
            }
            return false
        }
        guard wildcard[pattern] != nil, wildcard[pattern]!.subscribers.remove(subscriber) else {
            return false
        }
        storedSubscriptionCount -= 1
        generation &+= 1
        guard let entry = wildcard[pattern], entry.subscribers.isEmpty else { return false }
        trie.remove(pattern, from: entry.node)
        wildcard[pattern] = nil
        return true
    }

    /// Subscribers of exact `destination` and of every pattern matching it: each subscriber
    /// once, exact ones first in subscription order, then those of matching patterns (at each
    /// level the literal branch before `*` before `#`), each pattern's in subscription order.
    @inlinable
    public mutating func match(_ destination: String) -> [Subscriber] {
        if cacheGeneration != generation {
            cache.removeAll(keepingCapacity: true)
            cacheGeneration = generation
        }
        if let cached = cache[destination] {
            return cached
        }
        let result = computeMatch(destination)
        if cacheCapacity > 0 {
            if cache.count >= cacheCapacity {
                cache.removeAll(keepingCapacity: true)
            }
            cache[destination] = result
        }
        return result
    }

    /// The subscribers registered for exactly this pattern or destination, in subscription order.
    @inlinable
    public func subscribers(of pattern: String) -> [Subscriber] {
        if let subscribers = exact[pattern] { return subscribers.elements }
        return wildcard[pattern]?.subscribers.elements ?? []
    }

    /// Number of distinct exact destinations and patterns with at least one subscriber.
    @inlinable public var patternCount: Int { exact.count + wildcard.count }

    /// Every exact destination and pattern with at least one subscriber, in no particular order.
    @inlinable public var patterns: [String] { Array(exact.keys) + Array(wildcard.keys) }

    /// Number of destinations whose match result is cached (for tests and stats).
    @inlinable public var cachedMatchCount: Int {
        cacheGeneration == generation ? cache.count : 0
    }

    @inlinable
    func computeMatch(_ destination: String) -> [Subscriber] {
        let exactSubscribers = exact[destination]
        guard !wildcard.isEmpty else { return exactSubscribers?.elements ?? [] }
        let nodes = trie.matches(syntax.segments(of: destination))
        var sources: [InsertionOrderedSet<Subscriber>] = []
        if let exactSubscribers { sources.append(exactSubscribers) }
        for node in nodes {
            for pattern in trie.patterns(at: node) {
                if let entry = wildcard[pattern] { sources.append(entry.subscribers) }
            }
        }
        switch sources.count {
        case 0: return []
        case 1: return sources[0].elements
        default:
            // Several sources can name the same subscriber; keep its first appearance.
            var seen = Set<Subscriber>()
            var result: [Subscriber] = []
            for source in sources {
                source.forEach { subscriber in
                    if seen.insert(subscriber).inserted { result.append(subscriber) }
                }
            }
            return result
        }
    }
}
