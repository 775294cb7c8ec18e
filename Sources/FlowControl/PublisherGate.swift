/// Publisher flow control with hysteresis: a publisher is paused when the node holds more than
/// the high watermark AND one of the subscribers its message just reached is behind, so a busy
/// topic does not throttle publishers of topics whose subscribers keep up. Behind means holding
/// more than `behindBytes` or more than half a connection's fair share of the budget, whichever
/// is less: with a thousand subscribers lagging a little each, the node reaches its watermark
/// long before any one of them is `behindBytes` behind, and without the fair-share measure the
/// budget would cut them instead of slowing the publisher. Paused publishers are resumed when the node falls under the low watermark, or when
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
    public func shouldPause(totalBytes: Int, slowestSubscriberBytes: Int, connections: Int) -> Bool {
        totalBytes > budget.highWatermarkBytes && slowestSubscriberBytes > behindThreshold(connections: connections)
    }

    /// Whether a paused publisher may be read again: the node is under the low watermark, or the
    /// subscriber that blocked it holds at most half of the behind threshold (nil: it is gone).
    public func shouldResume(totalBytes: Int, blockingSubscriberBytes: Int?, connections: Int) -> Bool {
        if totalBytes < budget.lowWatermarkBytes { return true }
        guard let blocking = blockingSubscriberBytes else { return true }
        return blocking <= behindThreshold(connections: connections) / 2
    }
}
