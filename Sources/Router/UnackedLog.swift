/// Deliveries awaiting an ACK, in delivery order, each under an increasing token.
///
/// Built for the common case: acknowledgements arrive roughly in order, so removing at the
/// front is O(1); removing in the middle shifts the tail.
public struct UnackedLog<Element: Sendable>: Sendable {
    /// One outstanding delivery.
    public struct Entry: Sendable {
        public var token: UInt64
        public var element: Element

        @inlinable
        init(token: UInt64, element: Element) {
            self.token = token
            self.element = element
        }
    }

    @usableFromInline var entries: [Entry]
    @usableFromInline var head: Int

    /// An empty log.
    @inlinable
    public init() {
        entries = []
        head = 0
    }

    /// Number of outstanding deliveries.
    @inlinable public var count: Int { entries.count - head }
    /// True when nothing is outstanding.
    @inlinable public var isEmpty: Bool { count == 0 }
    /// The oldest outstanding delivery.
    @inlinable public var first: Entry? { head < entries.count ? entries[head] : nil }

    /// Records a delivery; `token` must be greater than every token already in the log.
    @inlinable public mutating func append(token: UInt64, _ element: Element) {
        precondition(entries.last.map { $0.token < token } ?? true, "tokens must increase")
        entries.append(Entry(token: token, element: element))
    }

    /// Forgets and returns the oldest delivery.
    @inlinable @discardableResult
    public mutating func removeFirst() -> Entry? {
        guard head < entries.count else { return nil }
        let entry = entries[head]
        head += 1
        trimHead()
        return entry
    }

    /// True if `token` is outstanding.
    @inlinable public func contains(token: UInt64) -> Bool {
        position(of: token) != nil
    }

    /// Removes the delivery under `token` alone; nil if it is not outstanding.
    @inlinable public mutating func remove(token: UInt64) -> Element? {
        guard let position = position(of: token) else { return nil }
        let element = entries[position].element
        if position == head {
            head += 1
            trimHead()
        } else {
            entries.remove(at: position)
        }
        return element
    }

    /// Removes the delivery under `token` and every older one, oldest first; nil (and no change)
    /// if `token` is not outstanding.
    @inlinable public mutating func removeThrough(token: UInt64) -> [Entry]? {
        guard let position = position(of: token) else { return nil }
        let removed = Array(entries[head...position])
        head = position + 1
        trimHead()
        return removed
    }

    /// `removeThrough` without collecting: returns how many deliveries were removed, nil (and
    /// no change) if `token` is not outstanding.
    @inlinable public mutating func discardThrough(token: UInt64) -> Int? {
        guard let position = position(of: token) else { return nil }
        let removed = position + 1 - head
        head = position + 1
        trimHead()
        return removed
    }

    /// Removes and returns every outstanding delivery, oldest first.
    @inlinable public mutating func removeAll() -> [Entry] {
        let removed = Array(entries[head...])
        entries.removeAll()
        head = 0
        return removed
    }

    /// The token of the oldest outstanding delivery satisfying `predicate`.
    @inlinable public func firstToken(where predicate: (Element) -> Bool) -> UInt64? {
        for index in head..<entries.count where predicate(entries[index].element) {
            return entries[index].token
        }
        return nil
    }

    /// Calls `body` with every outstanding delivery, oldest first.
    @inlinable public func forEach(_ body: (Entry) -> Void) {
        for index in head..<entries.count { body(entries[index]) }
    }

    /// Binary search: tokens are stored in increasing order.
    @inlinable func position(of token: UInt64) -> Int? {
        var low = head
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].token < token { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].token == token ? low : nil
    }

    /// Drops consumed front entries once they are most of the array (amortised O(1)).
    @inlinable mutating func trimHead() {
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32 && head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
