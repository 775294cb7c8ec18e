public import ClusterBus

/// Where offline messages live: `MemoryOfflineStore` for a lone node, Redis streams in a
/// cluster (`RedisOfflineStore`). Calls and completions happen on the node's loop; the memory
/// store completes before returning, Redis after its reply.
///
/// The store, not the node, decides between live delivery and keeping a message, in one step
/// with deduplication: so a message is either delivered to a subscriber that exists at that
/// moment or stored for the next one, never neither.
public protocol OfflineStore: AnyObject {
    /// Deduplicates by `dedupID`, then delivers live when some node holds a subscriber of the
    /// envelope's destination (`.live`: the caller delivers to its own subscribers; other
    /// nodes got it from the store), else keeps it for `user`.
    func send(_ envelope: Envelope, user: String, dedupID: String?, completion: @escaping (OfflineSendOutcome) -> Void)
    /// Keeps a message without live delivery: a node received it live but its subscriber had
    /// just left.
    func keep(_ envelope: Envelope, user: String)
    /// Up to `max` stored messages of `user` for `destination` after cursor `after` (nil: from
    /// the oldest), oldest first; messages past their age are deleted first, never returned.
    func load(user: String, destination: String, after: String?, max: Int, completion: @escaping (Result<OfflinePage, OfflineStoreError>) -> Void)
    /// Deletes delivered (auto ack) or ACKed messages.
    func remove(user: String, ids: [String])
    /// Periodic upkeep (the node's tick): age limits, forgotten dedup ids.
    func maintain(now: UInt64)
    var counters: OfflineCounters { get }
    /// Logged once at start-up: where messages are kept and what that means.
    var startupNotice: String { get }
}

public enum OfflineSendOutcome: Sendable, Equatable {
    /// Some node holds a subscriber (or held one a moment ago): `receivers` nodes got it.
    case live(receivers: Int)
    /// Kept; `dropped` older messages of the user went to make room.
    case stored(dropped: Int)
    /// The same `message-dedup-id` was seen within the window: not delivered, not stored.
    case duplicate
    /// Neither delivered nor stored (store full or unreachable); counted.
    case failed(String)
}

/// One page of stored messages and where the next one starts (nil: no more).
public struct OfflinePage: Sendable {
    public var messages: [StoredMessage]
    public var next: String?

    public init(messages: [StoredMessage], next: String?) {
        self.messages = messages
        self.next = next
    }
}

/// A stored message and its id in the store (what an ACK removes).
public struct StoredMessage: Sendable, Equatable {
    public var id: String
    public var envelope: Envelope

    public init(id: String, envelope: Envelope) {
        self.id = id
        self.envelope = envelope
    }
}

public struct OfflineStoreError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// What the store did, for `/metrics`.
public struct OfflineCounters: Sendable, Equatable {
    public var stored: UInt64 = 0
    /// Oldest messages dropped for a user over `offline.max-messages-per-user`.
    public var droppedOverflow: UInt64 = 0
    /// Messages deleted unread past `offline.ttl-seconds` (Redis: those trimmed at a write or
    /// read; a user's stream idle for the whole TTL expires as a key, uncounted).
    public var expired: UInt64 = 0
    public var duplicates: UInt64 = 0
    /// Messages that could be neither delivered nor stored (memory full, Redis error).
    public var failed: UInt64 = 0
    /// Messages deleted after delivery (auto ack) or ACK.
    public var removed: UInt64 = 0

    public init() {}
}
