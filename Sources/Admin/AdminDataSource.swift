/// One node as the admin endpoint shows it (`GET /admin/cluster`).
public struct AdminNodeView: Codable, Sendable, Equatable {
    /// Unique node id.
    public var id: String
    /// Address operators use to reach the node (advertised address or host:port).
    public var address: String
    /// `"up"`, `"degraded"` or `"dead"`.
    public var status: String
    /// Stampede version the node runs.
    public var version: String
    /// Start time, ISO 8601 in UTC (`2025-01-31T12:00:00Z`).
    public var startedAt: String
    /// Seconds since `startedAt`.
    public var uptimeSeconds: Int
    /// Client connections open on the node.
    public var connections: Int
    /// Subscriptions held by the node's sessions.
    public var subscriptions: Int
    /// Messages received from clients per second, recent average.
    public var messagesInPerSecond: Double
    /// Messages delivered to clients per second, recent average.
    public var messagesOutPerSecond: Double
    /// Age of the node's last cluster heartbeat as seen by the answering node.
    public var lastHeartbeatAgeMilliseconds: Int
    /// `"standalone"`, `"connected"` or `"disconnected"`.
    public var redis: String

    /// Creates a view.
    public init(
        id: String, address: String, status: String, version: String, startedAt: String, uptimeSeconds: Int,
        connections: Int, subscriptions: Int, messagesInPerSecond: Double, messagesOutPerSecond: Double,
        lastHeartbeatAgeMilliseconds: Int, redis: String
    ) {
        self.id = id
        self.address = address
        self.status = status
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.connections = connections
        self.subscriptions = subscriptions
        self.messagesInPerSecond = messagesInPerSecond
        self.messagesOutPerSecond = messagesOutPerSecond
        self.lastHeartbeatAgeMilliseconds = lastHeartbeatAgeMilliseconds
        self.redis = redis
    }
}

/// One destination with its subscribers per node (`GET /admin/destinations`).
public struct AdminDestinationView: Codable, Sendable, Equatable {
    /// The destination name, e.g. `/topic/prices`.
    public var destination: String
    /// Node id → subscribers on that node.
    public var nodes: [String: Int]
    /// Subscribers on all nodes.
    public var subscribers: Int

    /// Creates a view.
    public init(destination: String, nodes: [String: Int], subscribers: Int) {
        self.destination = destination
        self.nodes = nodes
        self.subscribers = subscribers
    }
}

/// One user with their sessions per node (`GET /admin/users`).
public struct AdminUserView: Codable, Sendable, Equatable {
    /// The login.
    public var user: String
    /// Sessions on all nodes.
    public var sessions: Int
    /// Node id → sessions on that node.
    public var nodes: [String: Int]

    /// Creates a view.
    public init(user: String, sessions: Int, nodes: [String: Int]) {
        self.user = user
        self.sessions = sessions
        self.nodes = nodes
    }
}

/// Why the data source could not answer; sent as a JSON error with `status` (4xx/5xx, else 500).
public struct AdminError: Error, Sendable, Equatable {
    /// HTTP status of the answer.
    public var status: Int
    /// Sent to the client as the JSON `error` field.
    public var message: String

    /// Creates an error.
    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }
}

/// What the admin endpoint asks of the node. Confined to the node's loop thread: completions
/// must run on that thread, either synchronously or on a later loop turn.
public protocol AdminDataSource: AnyObject {
    /// Every known node of the cluster (just this one without Redis).
    func adminNodes(_ completion: @escaping (Result<[AdminNodeView], AdminError>) -> Void)
    /// Every destination with at least one subscriber anywhere in the cluster.
    func adminDestinations(_ completion: @escaping (Result<[AdminDestinationView], AdminError>) -> Void)
    /// Every user known to the cluster's user registry.
    func adminUsers(_ completion: @escaping (Result<[AdminUserView], AdminError>) -> Void)
    /// ready: serving and connected to the cluster; status text e.g. "ok", "degraded: redis unreachable", "shutting down".
    var adminReadiness: (ready: Bool, status: String) { get }
    /// The node's metrics, rendered by `PrometheusExposition` for `GET /metrics`.
    var adminMetrics: [MetricSample] { get }
    /// The answering node's id (sessions and history are per node).
    var adminNodeID: String { get }
    /// Every client session of the cluster, sorted by node, then session.
    func adminSessions(_ completion: @escaping (Result<[AdminSessionView], AdminError>) -> Void)
    /// The answering node's recent activity, oldest first.
    var adminHistory: [AdminRateSample] { get }
    /// Ends the session `id` (`<node>/<session>`, or a session number of the answering node) on
    /// whichever node holds it, with an ERROR ("disconnected by an administrator"); 404 when no
    /// live node has it.
    func adminDisconnect(session id: String, _ completion: @escaping (Result<Void, AdminError>) -> Void)
}
