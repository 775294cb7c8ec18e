/// The connect / reconnect state machine of one Redis link, without I/O: each event returns the
/// actions the shell (`RedisLink`) carries out, in order. One timer serves as the connect timeout
/// while connecting and as the reconnect delay while disconnected.
struct RedisLinkMachine<Random: RandomNumberGenerator> {
    enum Action: Equatable {
        /// Start a hiredis connect; a synchronous failure comes back as `connectFailed`.
        case openContext
        /// Free the live hiredis context (connect timeout, close). Pending replies fail.
        case abandonContext
        /// (Re)arm the one timer.
        case armTimer(milliseconds: UInt64)
        case stopTimer
        /// Connected: name the connection, re-subscribe.
        case sessionReady
        /// A connected session ended: subscriptions are no longer acknowledged.
        case sessionLost
    }

    private(set) var state: RedisLinkState = .disconnected(reason: "not started")
    private(set) var isStarted = false
    private var backoff: ReconnectBackoff
    private var random: Random
    let connectTimeoutMilliseconds: UInt64

    init(connectTimeoutMilliseconds: UInt64, reconnectMaxMilliseconds: UInt64, random: Random) {
        self.connectTimeoutMilliseconds = max(connectTimeoutMilliseconds, 1)
        self.backoff = ReconnectBackoff(maximumMilliseconds: reconnectMaxMilliseconds)
        self.random = random
    }

    /// Failed attempts since the last successful connect.
    var failedAttempts: UInt32 { backoff.attempt }

    mutating func start() -> [Action] {
        guard !isStarted, state != .closed else { return [] }
        isStarted = true
        return beginConnecting()
    }

    /// The connect failed (synchronously, or hiredis's connect callback reported an error).
    mutating func connectFailed(reason: String) -> [Action] {
        guard state == .connecting else { return [] }
        return waitToReconnect(reason: reason)
    }

    mutating func connected() -> [Action] {
        guard state == .connecting else { return [] }
        state = .connected
        backoff.reset()
        return [.stopTimer, .sessionReady]
    }

    /// hiredis's disconnect callback: the connection broke (or the server closed it).
    mutating func disconnected(reason: String) -> [Action] {
        guard state == .connected else { return [] }
        return [.sessionLost] + waitToReconnect(reason: reason)
    }

    /// The user gave up on a connected session that stopped answering (liveness probe): free
    /// the context (pending replies fail) and reconnect after the backoff delay.
    mutating func dropped(reason: String) -> [Action] {
        guard state == .connected else { return [] }
        return [.abandonContext, .sessionLost] + waitToReconnect(reason: reason)
    }

    mutating func timerFired() -> [Action] {
        switch state {
        case .connecting:
            return [.abandonContext] + waitToReconnect(reason: "connect timed out after \(connectTimeoutMilliseconds) ms")
        case .disconnected where isStarted:
            return beginConnecting()
        default:
            return []
        }
    }

    mutating func close() -> [Action] {
        let previous = state
        guard previous != .closed else { return [] }
        state = .closed
        switch previous {
        case .connected: return [.stopTimer, .abandonContext, .sessionLost]
        case .connecting: return [.stopTimer, .abandonContext]
        default: return [.stopTimer]
        }
    }

    /// `openContext` comes last: a synchronous failure re-enters the machine.
    private mutating func beginConnecting() -> [Action] {
        state = .connecting
        return [.armTimer(milliseconds: connectTimeoutMilliseconds), .openContext]
    }

    private mutating func waitToReconnect(reason: String) -> [Action] {
        state = .disconnected(reason: reason)
        return [.armTimer(milliseconds: backoff.nextDelay(using: &random))]
    }
}
