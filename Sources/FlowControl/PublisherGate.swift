/// Publisher flow control with hysteresis: a publisher is paused when the node holds more than
/// the high watermark AND one of the subscribers its message just reached is behind, so a busy
/// topic does not throttle publishers of topics whose subscribers keep up. Behind means holding
/// more than `behindBytes` or more than half a connection's fair share of the budget, whichever
/// is less: with a thousand subscribers lagging a little each, the node reaches its watermark
/// long before any one of them is `behindBytes` behind, and without the fair-share measure the
/// budget would cut them instead of slowing the publisher.
///
/// Under the watermark a publisher is paused too when a subscriber it reached is `behindBytes`
/// behind and still reading (the kernel took its bytes recently): a slow reader slows its
/// publishers rather than being cut at its own limit. A subscriber that has stopped reading
/// does not hold publishers below the watermark (one dead client must not stall a room); it is
/// cut at its own limit. Paused publishers are resumed when the node falls under the low watermark, or when
/// the subscriber that blocked them has caught up or left.
public struct PublisherGate: Sendable, Equatable {
    public let budget: MemoryBudget
    /// A subscriber holding more than this is behind.
    public let behindBytes: Int
    /// How long one publisher may stay paused before the subscriber holding it back is cut as a
    /// slow consumer (0: no limit). Without it, a subscriber that never reads but stays under its
    /// own output limit would keep a publisher paused for as long as the node is above the low
    /// watermark.
    public let maxPauseMilliseconds: UInt64

    public init(budget: MemoryBudget, behindBytes: Int, maxPauseMilliseconds: UInt64 = 0) {
        self.budget = budget
        self.behindBytes = max(1, behindBytes)
        self.maxPauseMilliseconds = maxPauseMilliseconds
    }

    /// Whether a publisher paused since `pausedSince` has waited too long: the subscriber that
    /// blocks it is to be cut, so the publisher goes on.
    public func pauseOverstayed(pausedSince: UInt64, now: UInt64) -> Bool {
        maxPauseMilliseconds > 0 && now &- pausedSince >= maxPauseMilliseconds
    }

    /// What a subscriber may hold before it is behind, with `connections` sharing the budget.
    public func behindThreshold(connections: Int) -> Int {
        max(1, min(behindBytes, budget.fairShare(connections: connections) / 2))
    }

    /// After delivering a publication: whether its publisher must stop being read. `totalBytes` is
    /// the node's held total, `slowestSubscriberBytes` the largest holding among the subscribers
    /// it reached.
    /// `slowestIsReading`: that subscriber's socket took bytes within the last moments.
    public func shouldPause(totalBytes: Int, slowestSubscriberBytes: Int, connections: Int, slowestIsReading: Bool) -> Bool {
        if totalBytes > budget.highWatermarkBytes { return slowestSubscriberBytes > behindThreshold(connections: connections) }
        return slowestIsReading && slowestSubscriberBytes > behindBytes
    }

    /// Whether a paused publisher may be read again: the subscriber that blocked it holds at most
    /// half of the behind threshold (nil: it is gone), or the node is under the low watermark and
    /// that subscriber is not a slow reader still `behindBytes` behind.
    public func shouldResume(totalBytes: Int, blockingSubscriberBytes: Int?, connections: Int, blockingIsReading: Bool) -> Bool {
        guard let blocking = blockingSubscriberBytes else { return true }
        if blocking <= behindThreshold(connections: connections) / 2 { return true }
        return totalBytes < budget.lowWatermarkBytes && !(blockingIsReading && blocking > behindBytes)
    }
}
