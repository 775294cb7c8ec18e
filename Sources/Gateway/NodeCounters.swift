public import STOMPWire

/// Monotonic counters of one node, read by logs now and by the admin endpoint and /metrics later.
public struct NodeCounters: Sendable, Equatable {
    public var connectionsAccepted: UInt64 = 0
    public var connectionsRefused: UInt64 = 0
    public var framesIn: UInt64 = 0
    public var framesOut: UInt64 = 0
    public var messagesOut: UInt64 = 0
    public var messagesPublished: UInt64 = 0
    public var errorsSent: UInt64 = 0
    public var slowConsumers: UInt64 = 0
    /// Connections cut because the node-wide memory budget was exhausted (largest holders first).
    public var budgetCuts: UInt64 = 0
    /// Connections no longer read because their partial frames held too much (`budgetPausedReaders`).
    public var budgetReadPauses: UInt64 = 0
    /// Connections closed because a started frame did not complete in time.
    public var frameTimeouts: UInt64 = 0
    /// Times a publisher stopped being read because its subscribers were behind.
    public var publisherPauses: UInt64 = 0
    public var clusterMessagesIn: UInt64 = 0
    /// SENDs and SUBSCRIBEs to application destinations handed to a backend.
    public var applicationCalls: UInt64 = 0
    /// Backend messages routed to one session or subscription.
    public var applicationReplies: UInt64 = 0
    /// Presence joins and leaves published.
    public var presenceEvents: UInt64 = 0
    public var bytesIn: UInt64 = 0
    /// TLS handshakes by listener (websocket, stomp, admin), and certificate reloads.
    public var tlsHandshakesCompleted: [String: UInt64] = [:]
    public var tlsHandshakeFailures: [String: UInt64] = [:]
    public var tlsReloads: UInt64 = 0
    public var tlsReloadFailures: UInt64 = 0
    /// Handshakes and CONNECTs refused for their credentials.
    public var authenticationsRefused: UInt64 = 0
    /// SENDs and SUBSCRIBEs refused by the authorization rules, by action.
    public var accessDenied: [String: UInt64] = [:]
    /// SENDs refused for a `user-id` header naming someone else.
    public var forgedSenders: UInt64 = 0
    /// Abuse limits tripped, by limit (`new_connections`, `connections_per_user`, `inbound_rate`, `inbound_rate_close`).
    public var rateLimited: [String: UInt64] = [:]
    /// Sessions ended because their token expired.
    public var tokensExpired: UInt64 = 0
    /// Client frames received and frames sent, by STOMP command (MESSAGE deliveries included).
    public var framesInByCommand = CommandCounts()
    public var framesOutByCommand = CommandCounts()

    public init() {}
}

/// A count per STOMP command, kept in a fixed array indexed by the command: counting a frame
/// hashed the command's name into a dictionary per frame (issue 13).
public struct CommandCounts: Sendable, Equatable {
    private var counts = [UInt64](repeating: 0, count: STOMPCommand.allCases.count)

    public init() {}

    public subscript(command: STOMPCommand) -> UInt64 {
        get { counts[Self.index(command)] }
        set { counts[Self.index(command)] = newValue }
    }

    /// The commands counted at least once, by name, sorted by name (for /metrics).
    public var nonZero: [(command: String, count: UInt64)] {
        STOMPCommand.allCases.filter { self[$0] > 0 }.map { ($0.rawValue, self[$0]) }.sorted { $0.command < $1.command }
    }

    private static func index(_ command: STOMPCommand) -> Int {
        switch command {
        case .CONNECT: 0
        case .STOMP: 1
        case .CONNECTED: 2
        case .SEND: 3
        case .SUBSCRIBE: 4
        case .UNSUBSCRIBE: 5
        case .ACK: 6
        case .NACK: 7
        case .BEGIN: 8
        case .COMMIT: 9
        case .ABORT: 10
        case .DISCONNECT: 11
        case .MESSAGE: 12
        case .RECEIPT: 13
        case .ERROR: 14
        }
    }
}
