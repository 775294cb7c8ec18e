/// A token bucket on an injected clock (milliseconds): `rate` tokens a second, at most `burst`.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    public private(set) var tokens: Double
    private var updatedAt: UInt64

    public init(ratePerSecond: Double, burst: Double, now: UInt64) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.tokens = burst
        self.updatedAt = now
    }

    /// Takes `cost` tokens if there are enough; the bucket may go negative (debt) when `force`.
    public mutating func take(_ cost: Double, now: UInt64, force: Bool = false) -> Bool {
        refill(now: now)
        guard tokens >= cost || force else { return false }
        tokens -= cost
        return tokens >= 0
    }

    /// Milliseconds until the bucket is back at zero or above (0 if it already is).
    public func millisecondsUntilPositive() -> UInt64 {
        tokens >= 0 ? 0 : UInt64((-tokens / ratePerSecond * 1000).rounded(.up))
    }

    public mutating func refill(now: UInt64) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + Double(now - updatedAt) / 1000 * ratePerSecond)
        updatedAt = now
    }
}
