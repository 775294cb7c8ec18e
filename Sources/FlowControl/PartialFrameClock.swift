/// The deadline for a frame that has started (an HTTP head, a WebSocket frame or message, a STOMP
/// frame): it must be complete within `timeoutMilliseconds` of its first byte, whatever the
/// heart-beats. Fed after each read with what the decoders hold.
public struct PartialFrameClock: Sendable, Equatable {
    public let timeoutMilliseconds: UInt64
    /// When the frame now in progress began (nil: between frames).
    public private(set) var startedAt: UInt64?

    public init(timeoutMilliseconds: UInt64) {
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// After input was processed: `insideFrame` whether a frame is now incomplete, `completedFrame`
    /// whether at least one frame was completed by this input (the incomplete one, if any, then
    /// started during this input).
    public mutating func noteInput(insideFrame: Bool, completedFrame: Bool, now: UInt64) {
        if !insideFrame {
            startedAt = nil
        } else if startedAt == nil || completedFrame {
            startedAt = now
        }
    }

    /// The node paused reading for its own reasons: the time it held the peer back does not count.
    public mutating func restart(now: UInt64) {
        if startedAt != nil { startedAt = now }
    }

    /// The frame in progress has taken too long (0 turns the deadline off).
    public func isExpired(now: UInt64) -> Bool {
        guard timeoutMilliseconds > 0, let startedAt else { return false }
        return now &- startedAt > timeoutMilliseconds
    }
}
