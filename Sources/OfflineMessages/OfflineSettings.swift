/// What the node keeps for users who are not there: which `/user` destinations, how many
/// messages per user, how long, and the deduplication window. Off while `prefixes` is empty.
public struct OfflineSettings: Sendable, Equatable {
    /// `/user/*/queue/inbox`-style patterns: `*` stands for the user name; a destination
    /// matches when it equals the pattern (user filled in) or continues it after `/` or `.`.
    public var prefixes: [String] = []
    /// Messages kept per user (all of the user's offline destinations together); past it the
    /// oldest is dropped and counted.
    public var maxMessagesPerUser = 1_000
    /// A stored message older than this is never delivered and is deleted.
    public var ttlSeconds = 604_800
    /// A second SEND with the same `message-dedup-id` for the same user within this window is
    /// dropped (counted); 0 turns deduplication off.
    public var dedupWindowSeconds = 300
    /// Bytes the in-memory store (a lone node) may hold, messages and dedup ids together;
    /// past it new messages are not stored (counted). Redis bounds the clustered store itself.
    public var memoryMaxBytes = 64 << 20
    /// Stored messages read and delivered per round trip when a subscription replays them.
    public var replayBatch = 100

    /// The SEND header clients set to have retries of one message deduplicated.
    public static let dedupHeader = "message-dedup-id"

    public var isEnabled: Bool { !prefixes.isEmpty }

    public init(prefixes: [String] = [], maxMessagesPerUser: Int = 1_000, ttlSeconds: Int = 604_800,
                dedupWindowSeconds: Int = 300, memoryMaxBytes: Int = 64 << 20, replayBatch: Int = 100) {
        self.prefixes = prefixes
        self.maxMessagesPerUser = maxMessagesPerUser
        self.ttlSeconds = ttlSeconds
        self.dedupWindowSeconds = dedupWindowSeconds
        self.memoryMaxBytes = memoryMaxBytes
        self.replayBatch = replayBatch
    }

    public var ttlMilliseconds: UInt64 { UInt64(max(0, ttlSeconds)) * 1000 }
    public var dedupWindowMilliseconds: UInt64 { UInt64(max(0, dedupWindowSeconds)) * 1000 }
}

/// Which `/user/<name>/...` destinations are offline-capable, from `OfflineSettings.prefixes`.
/// Pure; built once at start-up, asked once per SEND to a `/user` destination nobody here
/// listens to and once per `/user` SUBSCRIBE.
public struct OfflineDestinations: Sendable {
    private let patterns: [(head: [UInt8], tail: [UInt8])]

    /// `prefixes` must be valid (`isValidPrefix`); invalid ones are ignored.
    public init(prefixes: [String], userPrefix: String = "/user/") {
        patterns = prefixes.compactMap { prefix in
            guard Self.isValidPrefix(prefix, userPrefix: userPrefix) else { return nil }
            let bytes = Array(prefix.utf8)
            let star = bytes.firstIndex(of: UInt8(ascii: "*"))!
            return (Array(bytes[..<star]), Array(bytes[(star + 1)...]))
        }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// `<userPrefix>*/<something>` with that one `*`, no spaces.
    public static func isValidPrefix(_ prefix: String, userPrefix: String = "/user/") -> Bool {
        let start = userPrefix + "*/"
        return prefix.hasPrefix(start) && prefix.utf8.count > start.utf8.count
            && prefix.utf8.filter { $0 == UInt8(ascii: "*") }.count == 1
            && !prefix.utf8.contains(UInt8(ascii: " ")) && !prefix.utf8.contains(UInt8(ascii: "#"))
    }

    /// The user whose offline destination `destination` is (`/user/bob/queue/inbox` → `bob`);
    /// nil when no pattern matches.
    public func user(of destination: String) -> String? {
        let bytes = destination.utf8
        for (head, tail) in patterns where bytes.starts(with: head) {
            let rest = bytes.dropFirst(head.count)
            guard let slash = rest.firstIndex(of: UInt8(ascii: "/")), slash != rest.startIndex else { continue }
            let afterName = rest[slash...]
            guard afterName.starts(with: tail) else { continue }
            let remainder = afterName.dropFirst(tail.count)
            if let next = remainder.first, next != UInt8(ascii: "/"), next != UInt8(ascii: ".") { continue }
            return String(Substring(rest[..<slash]))
        }
        return nil
    }
}
