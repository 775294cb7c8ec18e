/// Node-wide settings of webhook calls (`webhooks.*`); a route only names its URL.
public struct WebhookSettings: Sendable, Equatable {
    /// One attempt (connect, send, wait for the answer) must finish within this.
    public var timeoutMilliseconds: Int = 5_000
    /// Connecting to the backend must finish within this (capped by the timeout).
    public var connectTimeoutMilliseconds: Int = 2_000
    /// Calls in flight at once on one node; more wait in line.
    public var maxConcurrent: Int = 64
    /// Calls waiting for a free slot; beyond this a call fails at once (counted as rejected).
    public var maxQueued: Int = 1_000
    /// Attempts per call, the first included (1 = no retry).
    public var maxAttempts: Int = 3
    /// Wait before the first retry; doubled before each further one, up to `backoffMaxMilliseconds`.
    public var backoffInitialMilliseconds: Int = 100
    public var backoffMaxMilliseconds: Int = 2_000
    /// A backend answer longer than this is a failure.
    public var maxResponseBytes: Int = 1 << 20

    public init() {}
}

/// When the next attempt of a call may start: exponential backoff, no jitter (the delays are
/// short and per call; bursts are bounded by `maxConcurrent` instead).
public struct WebhookRetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialMilliseconds: Int
    public var maxMilliseconds: Int

    public init(maxAttempts: Int, initialMilliseconds: Int, maxMilliseconds: Int) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialMilliseconds = max(0, initialMilliseconds)
        self.maxMilliseconds = max(self.initialMilliseconds, maxMilliseconds)
    }

    public init(_ settings: WebhookSettings) {
        self.init(maxAttempts: settings.maxAttempts, initialMilliseconds: settings.backoffInitialMilliseconds,
                  maxMilliseconds: settings.backoffMaxMilliseconds)
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed, or nil
    /// when the attempts are used up.
    public func delay(afterAttempt attempt: Int) -> Int? {
        guard attempt < maxAttempts else { return nil }
        var delay = initialMilliseconds
        for _ in 1..<attempt {
            delay = min(maxMilliseconds, delay * 2)
            if delay == maxMilliseconds { break }
        }
        return min(delay, maxMilliseconds)
    }
}
