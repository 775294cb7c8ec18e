public import STOMPWire
public import BuildInfo

/// What a STOMP session needs to know about the node it runs on.
public struct SessionConfiguration: Sendable, Equatable {
    /// Versions offered at CONNECT, highest preferred.
    public var supportedVersions: [STOMPVersion]
    /// The server's heart-beat wish (sx, sy) in milliseconds, sent in CONNECTED.
    public var heartBeat: HeartBeat
    /// A client is declared dead after this many of its promised intervals without a byte.
    public var heartBeatToleranceFactor: UInt64
    /// Value of the CONNECTED `server` header.
    public var serverName: String
    /// Concurrent open transactions per session.
    public var maxTransactions: Int
    /// SEND/ACK/NACK frames buffered in one transaction.
    public var maxFramesPerTransaction: Int

    public init(
        supportedVersions: [STOMPVersion] = [.v1_2, .v1_1, .v1_0],
        heartBeat: HeartBeat = HeartBeat(canSend: 10_000, wantsReceive: 10_000),
        heartBeatToleranceFactor: UInt64 = 2,
        serverName: String = BuildInfo.serverName,
        maxTransactions: Int = 16,
        maxFramesPerTransaction: Int = 1_000
    ) {
        self.supportedVersions = supportedVersions
        self.heartBeat = heartBeat
        self.heartBeatToleranceFactor = heartBeatToleranceFactor
        self.serverName = serverName
        self.maxTransactions = maxTransactions
        self.maxFramesPerTransaction = maxFramesPerTransaction
    }
}

/// Decides who may connect. Pluggable so a node can check a users list, a token service, ….
public protocol Authenticator: Sendable {
    /// The user name the session acts as, or nil to refuse the CONNECT.
    func authenticate(login: String?, passcode: String?) -> AuthenticationResult
}

public enum AuthenticationResult: Sendable, Equatable {
    /// `user` nil means anonymous.
    case accepted(user: String?)
    case rejected(reason: String)
}

/// The single-node default: everybody may connect; a given login becomes the session's user.
public struct AllowAllAuthenticator: Authenticator {
    public init() {}
    public func authenticate(login: String?, passcode: String?) -> AuthenticationResult {
        .accepted(user: login.flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// A fixed users list from the configuration file.
public struct UsersListAuthenticator: Authenticator {
    public let passcodes: [String: String]
    public let allowAnonymous: Bool

    public init(passcodes: [String: String], allowAnonymous: Bool = false) {
        self.passcodes = passcodes
        self.allowAnonymous = allowAnonymous
    }

    public func authenticate(login: String?, passcode: String?) -> AuthenticationResult {
        guard let login, !login.isEmpty else {
            return allowAnonymous ? .accepted(user: nil) : .rejected(reason: "login required")
        }
        guard let expected = passcodes[login], constantTimeEquals(expected, passcode ?? "") else {
            return .rejected(reason: "bad login or passcode")
        }
        return .accepted(user: login)
    }
}

/// Compares without an early exit, so timing does not reveal how much of a passcode was right.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
