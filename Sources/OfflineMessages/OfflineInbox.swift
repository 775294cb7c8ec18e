/// One user's stored messages, oldest first, with the policy of the in-memory store: a bound on
/// the count (the oldest goes first), an age limit, and pages per destination for replay.
/// Pure; time (milliseconds) injected. Ids only grow, so "after id" pages are stable while
/// messages are added and removed.
public struct OfflineInbox<Message>: @unchecked Sendable {
    public struct Entry {
        public let id: UInt64
        public let destination: String
        public let storedAt: UInt64
        /// What the entry costs the store (body, headers and bookkeeping).
        public let bytes: Int
        public let message: Message
    }

    private var entries: [Entry] = []
    private var lastID: UInt64 = 0
    /// Bytes of every entry held.
    public private(set) var bytes = 0

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Adds a message; past `maxCount` the oldest entries are dropped and returned.
    public mutating func append(_ message: Message, destination: String, bytes size: Int, now: UInt64, maxCount: Int) -> (id: UInt64, dropped: [Entry]) {
        lastID += 1
        entries.append(Entry(id: lastID, destination: destination, storedAt: now, bytes: size, message: message))
        bytes += size
        let excess = entries.count - max(1, maxCount)
        guard excess > 0 else { return (lastID, []) }
        let dropped = Array(entries.prefix(excess))
        entries.removeFirst(excess)
        bytes -= dropped.reduce(0) { $0 + $1.bytes }
        return (lastID, dropped)
    }

    /// Removes entries stored `ttl` or longer ago; returns them.
    public mutating func expire(now: UInt64, ttl: UInt64) -> [Entry] {
        let alive = entries.firstIndex { now &- $0.storedAt < ttl } ?? entries.count
        guard alive > 0 else { return [] }
        let expired = Array(entries.prefix(alive))
        entries.removeFirst(alive)
        bytes -= expired.reduce(0) { $0 + $1.bytes }
        return expired
    }

    /// Up to `max` entries of `destination` with an id above `after`, oldest first, and the
    /// cursor to continue from (nil when nothing of that destination is left after the page).
    public func page(destination: String, after: UInt64, max: Int) -> (entries: [Entry], next: UInt64?) {
        var found: [Entry] = []
        let start = entries.firstIndex { $0.id > after } ?? entries.count
        for entry in entries[start...] where entry.destination == destination {
            if found.count == Swift.max(1, max) { return (found, found.last!.id) }
            found.append(entry)
        }
        return (found, nil)
    }

    /// Removes the entries with these ids (unknown ids are ignored); returns the bytes freed.
    @discardableResult
    public mutating func remove(ids: Set<UInt64>) -> Int {
        var freed = 0
        entries.removeAll { entry in
            guard ids.contains(entry.id) else { return false }
            freed += entry.bytes
            return true
        }
        bytes -= freed
        return freed
    }
}
