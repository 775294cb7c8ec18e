/// A token bucket for log lines that can come in floods (one per session connect and close):
/// `perSecond` lines a second on average, bursts up to one second's worth. Lines over budget are
/// counted, and the next line let through says how many were left out before it. Pure: the
/// caller passes the time.
public struct LineBudget: Sendable, Equatable {
    /// Lines a second; 0 lets none through.
    public let perSecond: Int
    private var tokens: Double
    private var lastMilliseconds: UInt64?
    /// Lines left out since the last one let through.
    private var pendingSuppressed = 0
    /// Lines left out in all.
    public private(set) var suppressedTotal: UInt64 = 0

    public init(perSecond: Int) {
        self.perSecond = max(0, perSecond)
        self.tokens = Double(self.perSecond)
    }

    /// Whether a line may be written at `nowMilliseconds` (monotonic); when it may, also how many
    /// lines were left out since the previous one (to put in its metadata).
    public mutating func admit(nowMilliseconds: UInt64) -> (allowed: Bool, suppressedBefore: Int) {
        let capacity = Double(perSecond)
        if let last = lastMilliseconds, nowMilliseconds > last {
            tokens = min(capacity, tokens + Double(nowMilliseconds - last) * capacity / 1000)
        }
        lastMilliseconds = max(lastMilliseconds ?? nowMilliseconds, nowMilliseconds)
        guard tokens >= 1 else {
            pendingSuppressed += 1
            suppressedTotal += 1
            return (false, 0)
        }
        tokens -= 1
        let suppressed = pendingSuppressed
        pendingSuppressed = 0
        return (true, suppressed)
    }
}
