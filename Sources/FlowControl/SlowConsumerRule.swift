/// When a subscriber is a slow consumer: past its own output limit for longer than a grace time
/// (others keep up, or the publishers would have been paused first), or past twice the limit at
/// once (it grows faster than any grace can allow).
public struct SlowConsumerRule: Sendable, Equatable {
    public let limitBytes: Int
    public let graceMilliseconds: UInt64

    public init(limitBytes: Int, graceMilliseconds: UInt64) {
        self.limitBytes = max(1, limitBytes)
        self.graceMilliseconds = graceMilliseconds
    }

    public enum Verdict: Sendable, Equatable {
        /// Within its limit: forget any earlier excess.
        case withinLimit
        /// Over the limit since `since`; not yet for long enough.
        case overLimit(since: UInt64)
        /// Cut it off.
        case slowConsumer
    }

    /// Judges a subscriber holding `heldBytes`, over its limit since `overSince` (nil: it was not).
    public func judge(heldBytes: Int, overSince: UInt64?, now: UInt64) -> Verdict {
        guard heldBytes > limitBytes else { return .withinLimit }
        if heldBytes > limitBytes &* 2 { return .slowConsumer }
        let since = overSince ?? now
        return now &- since >= graceMilliseconds ? .slowConsumer : .overLimit(since: since)
    }
}
