/// One client session of the cluster (`GET /admin/sessions`): the answering node's sessions live,
/// the other nodes' from their last report (at most `cluster.heartbeat-ms` old, connected
/// sessions only). The node builds it from the one description of a session it also reports to
/// the cluster (`ReportedSession`).
public struct AdminSessionView: Codable, Sendable, Equatable {
    /// `<node>/<session>` (the form of `app-session` and the server API), as used by
    /// `POST /admin/sessions/{id}/disconnect` on any node.
    public var id: String
    /// The node holding the session.
    public var node: String
    /// The authenticated login (or `anonymous-<n>`); nil before CONNECT.
    public var user: String?
    /// The endpoint the client connected through.
    public var endpoint: String
    /// `"websocket"` or `"stomp"` (raw STOMP over TCP); nil when the node did not report it.
    public var transport: String?
    /// The client's address as its node sees it (`host:port`); nil when not reported.
    public var peer: String?
    /// `"connecting"`, `"connected"` or `"closing"`.
    public var state: String
    /// Seconds since the connection was accepted.
    public var connectedSeconds: Int
    /// Subscriptions the session holds; nil when not reported.
    public var subscriptions: Int?

    /// Creates a view.
    public init(id: String, node: String, user: String?, endpoint: String, transport: String?, peer: String?, state: String,
                connectedSeconds: Int, subscriptions: Int?) {
        self.id = id
        self.node = node
        self.user = user
        self.endpoint = endpoint
        self.transport = transport
        self.peer = peer
        self.state = state
        self.connectedSeconds = connectedSeconds
        self.subscriptions = subscriptions
    }
}

/// `GET /admin/sessions`: one page of the cluster's sessions, sorted by node, then session.
public struct AdminSessionsBody: Codable, Sendable, Equatable {
    /// The node that answered.
    public var node: String
    /// Sessions in all pages.
    public var total: Int
    /// Index of the first session of this page.
    public var offset: Int
    /// Most sessions a page holds.
    public var limit: Int
    /// This page.
    public var sessions: [AdminSessionView]

    /// Creates a body.
    public init(node: String, total: Int, offset: Int, limit: Int, sessions: [AdminSessionView]) {
        self.node = node
        self.total = total
        self.offset = offset
        self.limit = limit
        self.sessions = sessions
    }
}

/// One point of the answering node's recent activity (`GET /admin/history`).
public struct AdminRateSample: Codable, Sendable, Equatable {
    /// Wall-clock time of the sample, milliseconds since 1970.
    public var at: Int64
    /// Client connections open.
    public var connections: Int
    /// Subscriptions held.
    public var subscriptions: Int
    /// Frames received from clients per second since the previous sample.
    public var messagesInPerSecond: Double
    /// MESSAGE frames delivered per second since the previous sample.
    public var messagesOutPerSecond: Double

    /// Creates a sample.
    public init(at: Int64, connections: Int, subscriptions: Int, messagesInPerSecond: Double, messagesOutPerSecond: Double) {
        self.at = at
        self.connections = connections
        self.subscriptions = subscriptions
        self.messagesInPerSecond = messagesInPerSecond
        self.messagesOutPerSecond = messagesOutPerSecond
    }
}

/// `GET /admin/history`: the answering node's samples, oldest first.
public struct AdminHistoryBody: Codable, Sendable, Equatable {
    /// The node that answered.
    public var node: String
    /// Oldest first, at most `admin.history-samples` of them.
    public var samples: [AdminRateSample]

    /// Creates a body.
    public init(node: String, samples: [AdminRateSample]) {
        self.node = node
        self.samples = samples
    }
}

/// The last `capacity` samples, oldest first: a bounded ring the node appends to with every report.
public struct AdminHistory: Sendable, Equatable {
    /// Most samples kept; older ones are overwritten.
    public let capacity: Int
    private var storage: [AdminRateSample] = []
    private var next = 0

    /// An empty history; `capacity` below 1 keeps nothing.
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage.reserveCapacity(self.capacity)
    }

    /// Adds a sample, dropping the oldest when full.
    public mutating func append(_ sample: AdminRateSample) {
        guard capacity > 0 else { return }
        if storage.count < capacity {
            storage.append(sample)
        } else {
            storage[next] = sample
        }
        next = (next + 1) % capacity
    }

    /// Every kept sample, oldest first.
    public var samples: [AdminRateSample] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }
}
