/// The seam between a node and the rest of the cluster. One implementation keeps everything in
/// memory (the single-node default, and tests with several nodes in one process); the other
/// goes through Redis. The node's routing code is the same for both.
///
/// Semantics every implementation keeps:
/// - topic and `/user` messages reach every node that holds a matching `Interest`, in publish
///   order per publisher, at most once (Redis pub/sub);
/// - a queue message is handed to exactly one node by `pull`, and stays owned by that node until
///   `settle` (delivered and, for client-ack subscriptions, ACKed) or `requeue`; a node that
///   dies first loses it to a survivor, which requeues it flagged `redelivered`.
/// All calls and callbacks happen on the node's loop thread.
public protocol ClusterBus: AnyObject {
    var nodeID: String { get }
    var state: BusLinkState { get }
    var delegate: (any ClusterBusDelegate)? { get set }
    /// False for a lone node: nothing needs to leave it, and its queues live only in its own
    /// broker. True when other nodes may exist: topic and user messages are published to the
    /// bus and queues are shared (through `enqueue`/`pull`).
    var isClustered: Bool { get }

    func start()
    /// Leaves the cluster (withdraws the node's entries where possible) and closes every handle.
    func stop()

    /// Starts or stops hearing about `interest`. `confirmed` runs once the cluster will route
    /// matching messages here (at once for the in-memory bus; after Redis acknowledged).
    func setInterest(_ interest: Interest, active: Bool, confirmed: (() -> Void)?)
    /// Sends a topic or `/user` message to the nodes interested in `interest` (not to this one).
    func publish(_ envelope: Envelope, to interest: Interest)

    /// Starts or stops taking messages of `queue` (this node has consumers for it).
    func setQueueInterest(_ queue: String, active: Bool)
    /// Appends a message to a queue shared by the cluster.
    func enqueue(_ envelope: Envelope, queue: String)
    /// Takes up to `max` messages of `queue` for this node.
    func pull(queue: String, max: Int, completion: @escaping ([QueueEntry]) -> Void)
    /// Messages this node delivered for good: removed from the cluster.
    func settle(queue: String, entryIDs: [String])
    /// Messages this node took but cannot deliver: back to the queue for any node, flagged redelivered.
    func requeue(queue: String, entries: [QueueEntry])

    /// Presence: this node's first session of `user` subscribed to `destination` (`present`
    /// true) or its last one gone (false). `completion(true)` when this changed the user's
    /// presence cluster-wide (the first node, or the last): this node then publishes the event.
    func updatePresence(destination: String, user: String, present: Bool, completion: @escaping (Bool) -> Void)
    /// Users present in `destination` anywhere in the cluster, sorted.
    func presentUsers(in destination: String, completion: @escaping ([String]) -> Void)

    /// Publishes this node's state (heartbeat, counts, local tables) for the admin view.
    func report(_ report: NodeReport)
    /// Every live node's last report.
    func clusterView(_ completion: @escaping (Result<[NodeReport], BusError>) -> Void)

    /// Cross-node messages that could not be handed to the cluster (e.g. Redis unreachable).
    var undeliverable: UInt64 { get }

    /// Sends a control message (e.g. "disconnect this session") to one node, at most once:
    /// a node that is down or unreachable does not get it. Sent to this node itself, it is
    /// delivered too (so callers need no special case).
    func sendControl(_ payload: [UInt8], to node: String)

    /// Names one node owns at a time (a SockJS session, whichever node its requests reach).
    /// `claim` makes this node the owner unless another node is (`takeOver`: replace it, as it
    /// is gone); the completion gets the owner afterwards (this node's id when claimed, nil when
    /// the cluster could not be asked). Claims of a node that dies expire within a day.
    func claim(_ name: String, takeOver: Bool, completion: @escaping (String?) -> Void)
    /// The node owning `name`, nil when none (or the cluster could not be asked).
    func owner(of name: String, completion: @escaping (String?) -> Void)
    /// This node gives `name` up (no effect when another node owns it).
    func release(_ name: String)

    /// Sessions of `user` on the other live nodes as they last reported them (each node's
    /// report carries its per-user counts, so this trails by at most one heartbeat); nil when
    /// the cluster cannot be asked. For `limits.max-connections-per-user` across a cluster.
    func sessionsElsewhere(ofUser user: String, completion: @escaping (Int?) -> Void)

    /// Times the link stopped answering while connected (liveness probe), since start.
    var stalls: UInt64 { get }
    /// Bytes of commands sent to the cluster link and not yet answered.
    var pendingBytes: Int { get }
    /// Times the link was congested (pending bytes over their bound), since start.
    var congestions: UInt64 { get }
}

extension ClusterBus {
    public var stalls: UInt64 { 0 }
    public var pendingBytes: Int { 0 }
    public var congestions: UInt64 { 0 }
}

public protocol ClusterBusDelegate: AnyObject {
    /// A topic or `/user` message from another node.
    func bus(didReceive envelope: Envelope)
    /// `queue` has messages this node may pull.
    func bus(queueHasMessages queue: String)
    func bus(stateDidChange state: BusLinkState)
    /// A peer was declared dead and its entries removed (by this node or another).
    func bus(nodeDidDie nodeID: String)
    /// Cleaning up a dead peer (this node won the cleanup) ended `user`'s presence in
    /// `destination` cluster-wide: publish the leave.
    func bus(presenceEnded destination: String, user: String)
    /// A control message addressed to this node (`ClusterBus.sendControl`).
    func bus(didReceiveControl payload: [UInt8])
}

extension ClusterBusDelegate {
    public func bus(presenceEnded destination: String, user: String) {}
    public func bus(didReceiveControl payload: [UInt8]) {}
}

public enum BusLinkState: Sendable, Equatable {
    /// In-memory: there is no link to lose.
    case standalone
    case connected
    /// The link is down: local delivery goes on, cross-node traffic is counted as undeliverable.
    case degraded(String)

    public var label: String {
        switch self {
        case .standalone: "standalone"
        case .connected: "connected"
        case .degraded: "disconnected"
        }
    }
}

public struct QueueEntry: Sendable, Equatable {
    /// The cluster's id of this copy of the message (a Redis stream entry id).
    public var id: String
    public var envelope: Envelope

    public init(id: String, envelope: Envelope) {
        self.id = id
        self.envelope = envelope
    }
}

public struct BusError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A node's view of itself, published with every heartbeat.
public struct NodeReport: Codable, Sendable, Equatable {
    public var id: String
    public var address: String
    public var version: String
    /// Milliseconds since the Unix epoch.
    public var startedAt: Int64
    public var reportedAt: Int64
    public var connections: Int
    public var subscriptions: Int
    public var messagesInPerSecond: Double
    public var messagesOutPerSecond: Double
    public var redis: String
    /// Local subscribers per topic destination or pattern.
    public var destinations: [String: Int]
    /// Local sessions per user.
    public var users: [String: Int]
    /// This node's connected sessions (presence API); nil from nodes that do not report them.
    public var sessions: [ReportedSession]?
    /// Users subscribed per topic destination or pattern (subscribers API).
    public var destinationUsers: [String: [String]]?

    public init(id: String, address: String, version: String, startedAt: Int64, reportedAt: Int64, connections: Int, subscriptions: Int,
                messagesInPerSecond: Double, messagesOutPerSecond: Double, redis: String, destinations: [String: Int], users: [String: Int],
                sessions: [ReportedSession]? = nil, destinationUsers: [String: [String]]? = nil) {
        self.id = id
        self.address = address
        self.version = version
        self.startedAt = startedAt
        self.reportedAt = reportedAt
        self.connections = connections
        self.subscriptions = subscriptions
        self.messagesInPerSecond = messagesInPerSecond
        self.messagesOutPerSecond = messagesOutPerSecond
        self.redis = redis
        self.destinations = destinations
        self.users = users
        self.sessions = sessions
        self.destinationUsers = destinationUsers
    }
}

/// One session as its node describes it: in the node's report (presence API, the admin views of
/// other nodes) and in its own admin view. The optional fields are absent from older nodes.
public struct ReportedSession: Codable, Sendable, Equatable {
    public var id: UInt64
    public var user: String
    public var endpoint: String
    /// Milliseconds since the Unix epoch.
    public var connectedAt: Int64
    /// `websocket` or `stomp`.
    public var transport: String?
    /// The client's address as the node sees it.
    public var peer: String?
    public var subscriptions: Int?
    /// `connecting` or `closing`; nil: connected (reports carry connected sessions only).
    public var state: String?

    public init(id: UInt64, user: String, endpoint: String, connectedAt: Int64, transport: String? = nil, peer: String? = nil,
                subscriptions: Int? = nil, state: String? = nil) {
        self.id = id
        self.user = user
        self.endpoint = endpoint
        self.connectedAt = connectedAt
        self.transport = transport
        self.peer = peer
        self.subscriptions = subscriptions
        self.state = state
    }
}
