public import STOMPWire

/// What a client session says at CONNECT and how it behaves when the link drops.
public struct ClientSessionConfiguration: Sendable {
    /// The CONNECT `host` header (the virtual host; the node ignores it, STOMP 1.2 requires it).
    public var host: String
    public var login: String?
    public var passcode: String?
    /// A bearer token (JWT): sent as the CONNECT `token` header. The WebSocket transport also
    /// sends it as `Authorization: Bearer` at the handshake.
    public var token: String?
    /// Offered heart-beats (ms): what this client can send and wants to receive.
    public var heartBeat: HeartBeat
    /// A peer silent for more than `heartBeatTolerance` × the negotiated incoming interval is dead.
    public var heartBeatTolerance: UInt64
    /// Offered in `accept-version`, newest first.
    public var acceptVersions: [STOMPVersion]
    /// Extra CONNECT headers (after the ones above).
    public var connectHeaders: [STOMPHeader]
    public var reconnect: ReconnectPolicy
    /// Sends made while disconnected that are kept for the next connection; past it they fail.
    public var maxQueuedSends: Int
    /// Retry when the very first connection fails (otherwise the first failure is final).
    public var retryFirstConnect: Bool
    /// Limits for frames received from the server.
    public var limits: STOMPLimits

    /// A configuration with the defaults: 1.2 then 1.1, heart-beats 10 s both ways, 1,000 queued sends.
    public init(
        host: String = "/",
        login: String? = nil,
        passcode: String? = nil,
        token: String? = nil,
        heartBeat: HeartBeat = HeartBeat(canSend: 10_000, wantsReceive: 10_000),
        heartBeatTolerance: UInt64 = 2,
        acceptVersions: [STOMPVersion] = [.v1_2, .v1_1],
        connectHeaders: [STOMPHeader] = [],
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        maxQueuedSends: Int = 1_000,
        retryFirstConnect: Bool = false,
        limits: STOMPLimits = STOMPLimits()
    ) {
        self.host = host
        self.login = login
        self.passcode = passcode
        self.token = token
        self.heartBeat = heartBeat
        self.heartBeatTolerance = heartBeatTolerance
        self.acceptVersions = acceptVersions
        self.connectHeaders = connectHeaders
        self.reconnect = reconnect
        self.maxQueuedSends = maxQueuedSends
        self.retryFirstConnect = retryFirstConnect
        self.limits = limits
    }
}

/// When to try again after a lost connection: exponential backoff with jitter and a cap.
public struct ReconnectPolicy: Sendable, Equatable {
    /// Delay before the first retry (ms).
    public var initialDelayMilliseconds: UInt64
    /// Growth per failed attempt.
    public var multiplier: Double
    /// No delay exceeds this (ms), jitter included.
    public var maxDelayMilliseconds: UInt64
    /// Fraction of the delay randomised either way (0.2: ±20 %), so a restarted node is not hit
    /// by every client in the same millisecond.
    public var jitter: Double
    /// Consecutive failed attempts after which the client gives up; nil: never.
    public var maxAttempts: Int?

    /// 100 ms doubling to 5 s, ±20 %, forever.
    public init(initialDelayMilliseconds: UInt64 = 100, multiplier: Double = 2, maxDelayMilliseconds: UInt64 = 5_000, jitter: Double = 0.2, maxAttempts: Int? = nil) {
        self.initialDelayMilliseconds = initialDelayMilliseconds
        self.multiplier = max(1, multiplier)
        self.maxDelayMilliseconds = max(initialDelayMilliseconds, maxDelayMilliseconds)
        self.jitter = min(max(0, jitter), 1)
        self.maxAttempts = maxAttempts
    }

    /// No reconnects: a lost connection is final.
    public static let disabled = ReconnectPolicy(maxAttempts: 0)

    /// The wait before attempt `attempt` (1 = first retry); `random` is uniform in [0, 1).
    public func delay(attempt: Int, random: Double) -> UInt64 {
        let exponent = Double(max(0, attempt - 1))
        let base = min(Double(maxDelayMilliseconds), Double(initialDelayMilliseconds) * pow(multiplier, exponent))
        let factor = 1 - jitter + 2 * jitter * min(max(0, random), 1)
        return UInt64(min(Double(maxDelayMilliseconds), (base * factor).rounded()))
    }

    /// Whether another attempt is allowed after `failures` consecutive failures.
    public func allowsAttempt(after failures: Int) -> Bool {
        maxAttempts.map { failures < $0 } ?? true
    }

    /// x^y for the small exponents used here, without Foundation.
    private func pow(_ x: Double, _ y: Double) -> Double {
        var result = 1.0
        var remaining = Int(min(y, 64))
        while remaining > 0 {
            result *= x
            if result > 1e12 { return result }
            remaining -= 1
        }
        return result
    }
}
