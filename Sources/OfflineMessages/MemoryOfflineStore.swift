public import ClusterBus
internal import STOMPWire

/// The lone node's offline store: every user's `OfflineInbox` and `DedupWindow` in memory,
/// bounded by `OfflineSettings.memoryMaxBytes`. Lost on restart (said at start-up).
///
/// "Is anyone subscribed?" is the node's own subscription table (`hasSubscriber`), asked in
/// the same loop turn as the store decision: no message can fall between the two.
public final class MemoryOfflineStore: OfflineStore {
    public let settings: OfflineSettings
    private let clock: () -> UInt64
    private let hasSubscriber: (String) -> Bool
    private var inboxes: [String: OfflineInbox<Envelope>] = [:]
    private var dedup: [String: DedupWindow] = [:]
    /// Bytes held: messages plus remembered dedup ids.
    public private(set) var bytes = 0
    public private(set) var counters = OfflineCounters()

    /// Bookkeeping charged per stored message and per dedup id on top of their own bytes.
    static let entryOverhead = 128

    /// `clock` is in milliseconds; `hasSubscriber(destination)` says whether a local
    /// subscription of that `/user/<name>/...` destination exists.
    public init(settings: OfflineSettings, clock: @escaping () -> UInt64, hasSubscriber: @escaping (String) -> Bool) {
        self.settings = settings
        self.clock = clock
        self.hasSubscriber = hasSubscriber
    }

    public var startupNotice: String { "offline messages kept in memory; lost on restart" }

    /// Messages held for `user` (tests, admin).
    public func storedCount(of user: String) -> Int { inboxes[user]?.count ?? 0 }

    public func send(_ envelope: Envelope, user: String, dedupID: String?, completion: @escaping (OfflineSendOutcome) -> Void) {
        let now = clock()
        if let dedupID, settings.dedupWindowMilliseconds > 0 {
            guard admit(dedupID, user: user, now: now) else {
                counters.duplicates += 1
                return completion(.duplicate)
            }
        }
        if hasSubscriber(envelope.destination) { return completion(.live(receivers: 1)) }
        completion(store(envelope, user: user, now: now))
    }

    public func keep(_ envelope: Envelope, user: String) {
        _ = store(envelope, user: user, now: clock())
    }

    public func load(user: String, destination: String, after: String?, max: Int,
                     completion: @escaping (Result<OfflinePage, OfflineStoreError>) -> Void) {
        expire(user: user, now: clock())
        guard let inbox = inboxes[user] else { return completion(.success(OfflinePage(messages: [], next: nil))) }
        let (entries, next) = inbox.page(destination: destination, after: after.flatMap { UInt64($0) } ?? 0, max: max)
        let messages = entries.map { StoredMessage(id: String($0.id), envelope: $0.message) }
        completion(.success(OfflinePage(messages: messages, next: next.map { String($0) })))
    }

    public func remove(user: String, ids: [String]) {
        guard inboxes[user] != nil else { return }
        let before = inboxes[user]!.count
        bytes -= inboxes[user]!.remove(ids: Set(ids.compactMap { UInt64($0) }))
        counters.removed += UInt64(before - inboxes[user]!.count)
        if inboxes[user]!.isEmpty { inboxes[user] = nil }
    }

    public func maintain(now: UInt64) {
        for user in Array(inboxes.keys) { expire(user: user, now: now) }
        for user in Array(dedup.keys) {
            let before = dedup[user]!.count
            dedup[user]!.forgetExpired(now: now)
            bytes -= (before - dedup[user]!.count) * Self.entryOverhead
            if dedup[user]!.isEmpty { dedup[user] = nil }
        }
    }

    // MARK: Policy

    private func store(_ envelope: Envelope, user: String, now: UInt64) -> OfflineSendOutcome {
        let size = Self.size(of: envelope)
        guard bytes + size <= settings.memoryMaxBytes else {
            counters.failed += 1
            return .failed("offline store full (\(settings.memoryMaxBytes) bytes)")
        }
        expire(user: user, now: now)
        let (_, dropped) = inboxes[user, default: OfflineInbox()].append(
            envelope, destination: envelope.destination, bytes: size, now: now, maxCount: settings.maxMessagesPerUser)
        bytes += size - dropped.reduce(0) { $0 + $1.bytes }
        counters.stored += 1
        counters.droppedOverflow += UInt64(dropped.count)
        return .stored(dropped: dropped.count)
    }

    private func expire(user: String, now: UInt64) {
        guard inboxes[user] != nil else { return }
        let expired = inboxes[user]!.expire(now: now, ttl: settings.ttlMilliseconds)
        guard !expired.isEmpty else { return }
        bytes -= expired.reduce(0) { $0 + $1.bytes }
        counters.expired += UInt64(expired.count)
        if inboxes[user]!.isEmpty { inboxes[user] = nil }
    }

    /// Dedup ids count against the memory bound; when it is reached new ids are not
    /// remembered (the message still goes through: deduplication is best effort then).
    private func admit(_ id: String, user: String, now: UInt64) -> Bool {
        var window = dedup[user] ?? DedupWindow(windowMilliseconds: settings.dedupWindowMilliseconds,
                                                capacity: max(1, settings.maxMessagesPerUser))
        let before = window.count
        let first = window.admit(id, now: now)
        let grown = (window.count - before) * Self.entryOverhead
        if first, bytes + grown > settings.memoryMaxBytes { return true }
        bytes += grown
        dedup[user] = window
        return first
    }

    static func size(of envelope: Envelope) -> Int {
        envelope.body.count + envelope.destination.utf8.count + envelope.messageID.utf8.count + entryOverhead
            + envelope.headers.lineBytes + envelope.headers.count * 14  // each: name, value and 16 bytes
    }
}
