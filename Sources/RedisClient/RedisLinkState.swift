/// The state of a Redis connection as its user sees it.
public enum RedisLinkState: Sendable, Equatable, CustomStringConvertible {
    /// A TCP connect is in progress.
    case connecting
    /// Connected: commands are sent, subscriptions are (re)established.
    case connected
    /// Not connected (not started yet, or waiting to reconnect after `reason`).
    case disconnected(reason: String)
    /// `close()` was called; nothing will happen any more.
    case closed

    /// `connecting`, `connected`, `disconnected: reason` or `closed`.
    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .connected: "connected"
        case .disconnected(let reason): "disconnected: \(reason)"
        case .closed: "closed"
        }
    }
}

/// Delays between reconnect attempts: `initial` doubling up to `maximum`, each drawn uniformly
/// from the upper half of its ceiling so that nodes restarted together do not reconnect in step.
struct ReconnectBackoff {
    let initialMilliseconds: UInt64
    let maximumMilliseconds: UInt64
    /// Failed attempts since the last successful connect.
    private(set) var attempt: UInt32 = 0

    init(initialMilliseconds: UInt64 = 50, maximumMilliseconds: UInt64) {
        let maximum = max(maximumMilliseconds, 1)
        self.maximumMilliseconds = maximum
        self.initialMilliseconds = min(max(initialMilliseconds, 1), maximum)
    }

    /// The ceiling of the delay after `attempt` failures.
    func ceilingMilliseconds(afterFailures attempt: UInt32) -> UInt64 {
        let shift = min(attempt, 40)
        let (doubled, overflow) = initialMilliseconds.multipliedReportingOverflow(by: 1 << UInt64(shift))
        return overflow ? maximumMilliseconds : min(doubled, maximumMilliseconds)
    }

    /// The next delay, in `[ceiling/2 rounded up, ceiling]`; counts one more failure.
    mutating func nextDelay<Random: RandomNumberGenerator>(using random: inout Random) -> UInt64 {
        let ceiling = ceilingMilliseconds(afterFailures: attempt)
        if ceiling < maximumMilliseconds { attempt += 1 }
        let half = ceiling / 2
        return ceiling - half + UInt64.random(in: 0...half, using: &random)
    }

    /// Called after a successful connect: the next failure waits the initial delay again.
    mutating func reset() {
        attempt = 0
    }
}
