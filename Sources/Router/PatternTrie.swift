/// A token trie of wildcard patterns (one edge per segment; `*` and `#` get their own child
/// slots), in the manner of a NATS sublist. Nodes live in an array and point at each other by
/// index, so the trie is a plain value: copying a `SubscriptionIndex` copies it.
@usableFromInline
struct PatternTrie: Sendable {
    struct Node: Sendable {
        var literals: [Substring: Int] = [:]
        var single: Int?
        var multi: Int?
        /// Index of the parent, -1 for the root.
        var parent: Int
        /// The edge from the parent to this node; nil for the root.
        var edge: PatternToken?
        /// Patterns ending here. Several spellings can share a node (`a/#` and `a.**`).
        var patterns: [String] = []

        var isUnused: Bool {
            literals.isEmpty && single == nil && multi == nil && patterns.isEmpty
        }
    }

    private var nodes: [Node] = [Node(parent: -1, edge: nil)]
    private var freeNodes: [Int] = []

    @usableFromInline init() {}

    /// Adds `pattern`, spelled as `tokens`; returns the node it ends at.
    @usableFromInline mutating func insert(_ pattern: String, tokens: [PatternToken]) -> Int {
        var current = 0
        for token in tokens {
            if let next = child(of: current, for: token) {
                current = next
            } else {
                let next = makeNode(parent: current, edge: token)
                switch nodes[next].edge {
                case .literal(let text): nodes[current].literals[text] = next
                case .single: nodes[current].single = next
                case .multi: nodes[current].multi = next
                case nil: break
                }
                current = next
            }
        }
        nodes[current].patterns.append(pattern)
        return current
    }

    /// Removes `pattern` from `node` (as returned by `insert`) and prunes nodes left empty.
    @usableFromInline mutating func remove(_ pattern: String, from node: Int) {
        if let position = nodes[node].patterns.firstIndex(of: pattern) {
            nodes[node].patterns.remove(at: position)
        }
        var current = node
        while current != 0 && nodes[current].isUnused {
            let parent = nodes[current].parent
            switch nodes[current].edge {
            case .literal(let text): nodes[parent].literals[text] = nil
            case .single: nodes[parent].single = nil
            case .multi: nodes[parent].multi = nil
            case nil: break
            }
            nodes[current] = Node(parent: -1, edge: nil)
            freeNodes.append(current)
            current = parent
        }
    }

    /// The patterns ending at `node`.
    @usableFromInline func patterns(at node: Int) -> [String] {
        nodes[node].patterns
    }

    /// The nodes whose patterns match a destination split into `segments`, each node once,
    /// more specific branches (literal, then `*`, then `#`) first.
    @usableFromInline func matches(_ segments: [Substring]) -> [Int] {
        var found: [Int] = []
        var expanded = Set<Int>()
        // Each (node, index) pair is visited once (see `collect`), so no node is found twice.
        collect(from: 0, segments: segments, at: 0, into: &found, expanded: &expanded)
        return found
    }

    /// Number of live nodes, root included (for tests of pruning).
    var nodeCount: Int { nodes.count - freeNodes.count }

    /// `expanded` holds the (node, index) pairs a `#` already led to. Every node has one parent,
    /// so only `#` edges reach a pair twice; without it a pattern of k `#`s costs n^k for n
    /// segments (a client's `/topic/#/#/#/#/#/#/#/#` would stall the loop on every publish).
    /// The set allocates only once a `#` is crossed.
    private func collect(from node: Int, segments: [Substring], at index: Int, into found: inout [Int], expanded: inout Set<Int>) {
        if index == segments.count {
            if !nodes[node].patterns.isEmpty { found.append(node) }
        } else {
            if let next = nodes[node].literals[segments[index]] {
                collect(from: next, segments: segments, at: index + 1, into: &found, expanded: &expanded)
            }
            if let next = nodes[node].single {
                collect(from: next, segments: segments, at: index + 1, into: &found, expanded: &expanded)
            }
        }
        if let next = nodes[node].multi {
            // `#` swallows zero or more segments: try every remaining suffix.
            for rest in index...segments.count where expanded.insert(next &* (segments.count + 1) &+ rest).inserted {
                collect(from: next, segments: segments, at: rest, into: &found, expanded: &expanded)
            }
        }
    }

    private func child(of node: Int, for token: PatternToken) -> Int? {
        switch token {
        case .literal(let text): nodes[node].literals[text]
        case .single: nodes[node].single
        case .multi: nodes[node].multi
        }
    }

    private mutating func makeNode(parent: Int, edge: PatternToken) -> Int {
        // Own the key's text so the trie does not pin the whole pattern string it came from.
        let ownedEdge: PatternToken =
            if case .literal(let text) = edge { .literal(Substring(String(text))) } else { edge }
        let node = Node(parent: parent, edge: ownedEdge)
        if let reused = freeNodes.popLast() {
            nodes[reused] = node
            return reused
        }
        nodes.append(node)
        return nodes.count - 1
    }
}
