/// What a node must hear about from the cluster: a topic destination, a topic pattern, or a
/// user's `/user/...` destinations.
public enum Interest: Hashable, Sendable {
    case destination(String)
    case pattern(String)
    case user(String)
}

/// Counts local subscribers per interest. The node's cluster-wide entry changes only at the
/// first local subscriber and, after a grace period re-checked at expiry, at the last one: a
/// client that resubscribes quickly (page reload) causes no cluster traffic. Pure; time injected.
public struct InterestTracker: Sendable {
    public let graceMilliseconds: UInt64
    private var counts: [Interest: Int] = [:]
    /// Interests whose count reached zero, with the time they did.
    private var idleSince: [Interest: UInt64] = [:]

    public init(graceMilliseconds: UInt64) {
        self.graceMilliseconds = graceMilliseconds
    }

    /// One more local subscriber. True when the node must announce the interest (it had none
    /// and was not still holding it through a grace period).
    public mutating func add(_ interest: Interest) -> Bool {
        let before = counts[interest, default: 0]
        counts[interest] = before + 1
        if before == 0 {
            return idleSince.removeValue(forKey: interest) == nil
        }
        return false
    }

    /// One local subscriber fewer. Returns true when the interest must be dropped right away
    /// (grace 0); otherwise it is dropped by `expire` once the grace period has passed.
    public mutating func remove(_ interest: Interest, now: UInt64) -> Bool {
        guard let count = counts[interest] else { return false }
        if count > 1 {
            counts[interest] = count - 1
            return false
        }
        counts[interest] = nil
        if graceMilliseconds == 0 { return true }
        idleSince[interest] = now
        return false
    }

    /// Interests idle for the whole grace period: the caller withdraws them from the cluster.
    public mutating func expire(now: UInt64) -> [Interest] {
        var expired: [Interest] = []
        for (interest, since) in idleSince where now &- since >= graceMilliseconds {
            expired.append(interest)
        }
        for interest in expired { idleSince[interest] = nil }
        return expired
    }

    /// True while the node holds `interest` in the cluster (subscribers, or its grace period).
    public func isHeld(_ interest: Interest) -> Bool { counts[interest] != nil || idleSince[interest] != nil }

    /// Local subscriber count of `interest`.
    public func count(_ interest: Interest) -> Int { counts[interest, default: 0] }

    /// Every interest the node holds in the cluster (including those in their grace period):
    /// what must be re-announced after a reconnect.
    public var held: [Interest] { Array(counts.keys) + Array(idleSince.keys) }

    /// Local subscriber counts of every active interest.
    public var active: [Interest: Int] { counts }
}
