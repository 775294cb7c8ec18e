/// Publisher flow control with hysteresis: a publisher is paused when the node holds more than
/// the high watermark AND one of the subscribers its message just reached is behind (holds more
/// than `behindBytes`), so a busy topic does not throttle publishers of topics whose subscribers
/// keep up. Paused publishers are resumed when the node falls under the low watermark, or when
/// the subscriber that blocked them has caught up or left.
public struct PublisherGate: Sendable, Equatable {
    public let budget: MemoryBudget
    /// A subscriber holding more than this is behind.
    public let behindBytes: Int

    public init(budget: MemoryBudget, behindBytes: Int) {
        self.budget = budget
        self.behindBytes = max(1, behindBytes)
    }

    /// After delivering a publication: whether its publisher must stop being read. `totalBytes` is
    /// the node's held total, `slowestSubscriberBytes` the largest holding among the subscribers
    /// it reached.
    public func shouldPause(totalBytes: Int, slowestSubscriberBytes: Int) -> Bool {
        totalBytes > budget.highWatermarkBytes && slowestSubscriberBytes > behindBytes
    }

    /// Whether a paused publisher may be read again: the node is under the low watermark, or the
    /// subscriber that blocked it holds at most half of `behindBytes` (nil: it is gone).
    public func shouldResume(totalBytes: Int, blockingSubscriberBytes: Int?) -> Bool {
        if totalBytes < budget.lowWatermarkBytes { return true }
        guard let blocking = blockingSubscriberBytes else { return true }
        return blocking <= behindBytes / 2
    }
}
