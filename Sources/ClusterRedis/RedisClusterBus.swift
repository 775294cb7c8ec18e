public import ClusterBus
public import RedisClient
public import UVLoop
public import Router
internal import FoundationEssentials

/// The cluster through Redis: pub/sub for topic and `/user` messages, one stream per shared
/// queue (consumer group: each message to one node, pending until settled), and a registry of
/// nodes whose reports expire when a node stops heart-beating.
///
/// Two connections: `commands` (a subscribed connection cannot publish) and `subscriber`,
/// which re-subscribes everything after every reconnect. While either is down the bus is
/// `degraded`: local delivery goes on in the node, and what could not be sent is counted in
/// `undeliverable`.
public final class RedisClusterBus: ClusterBus {
    public struct Settings: Sendable {
        public var nodeID: String
        public var endpoint: RedisEndpoint
        public var keyPrefix: String
        /// A node whose report is older than this is dead (the report key's TTL).
        public var nodeTimeoutMilliseconds: UInt64
        public var connectTimeoutMilliseconds: UInt64
        public var reconnectMaxMilliseconds: UInt64
        /// Liveness probe: one every interval; unanswered after the timeout the link is stalled
        /// (the bus degraded); stalled for `stallReconnect` both connections are made again.
        public var pingIntervalMilliseconds: UInt64
        public var timeoutMilliseconds: UInt64
        public var stallReconnectMilliseconds: UInt64
        /// Shared queue length cap (XADD MAXLEN ~): the oldest messages go first.
        public var queueCapacity: Int
        /// Envelopes larger than this are refused on receipt.
        public var maxEnvelopeBytes: Int
        /// Commands awaiting Redis's reply past this many bytes: the link is congested (the bus
        /// degraded, publications counted as undeliverable) until they fall to half (0: no bound).
        public var maxPendingBytes: Int
        public var syntax: DestinationSyntax

        public init(nodeID: String, endpoint: RedisEndpoint, keyPrefix: String = "stampede", nodeTimeoutMilliseconds: UInt64 = 5_000,
                    connectTimeoutMilliseconds: UInt64 = 2_000, reconnectMaxMilliseconds: UInt64 = 2_000,
                    pingIntervalMilliseconds: UInt64 = 1_000, timeoutMilliseconds: UInt64 = 3_000, stallReconnectMilliseconds: UInt64 = 10_000,
                    queueCapacity: Int = 10_000,
                    maxEnvelopeBytes: Int = 5 << 20, maxPendingBytes: Int = 64 << 20, syntax: DestinationSyntax = .init()) {
            self.nodeID = nodeID
            self.endpoint = endpoint
            self.keyPrefix = keyPrefix
            self.nodeTimeoutMilliseconds = nodeTimeoutMilliseconds
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.reconnectMaxMilliseconds = reconnectMaxMilliseconds
            self.pingIntervalMilliseconds = pingIntervalMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
            self.stallReconnectMilliseconds = stallReconnectMilliseconds
            self.queueCapacity = queueCapacity
            self.maxEnvelopeBytes = maxEnvelopeBytes
            self.maxPendingBytes = maxPendingBytes
            self.syntax = syntax
        }
    }

    public var nodeID: String { settings.nodeID }
    public weak var delegate: (any ClusterBusDelegate)?
    public let isClustered = true
    public private(set) var state: BusLinkState = .degraded("connecting to Redis")
    public internal(set) var undeliverable: UInt64 = 0
    /// Bytes of commands sent through `send` whose replies have not come back (also counted in
    /// the loop's `memory`, so in the node's budget).
    public private(set) var pendingBytes = 0
    /// Pending bytes went over `settings.maxPendingBytes` and have not yet fallen to half.
    private(set) var congested = false
    public private(set) var congestions: UInt64 = 0
    /// Envelopes from Redis that could not be decoded.
    public private(set) var malformedReceived: UInt64 = 0
    /// The per-user session counts `P:users-of:<this node>` holds, as far as this node knows.
    var writtenUserSessions: [String: Int] = [:]

    let settings: Settings
    let keys: RedisKeys
    let commands: RedisConnection
    let subscriber: RedisSubscriber
    let loop: EventLoop
    var liveness: LivenessProbe
    var probeTimer: Timer?
    /// Stalls entered since start (`stampede_redis_stalled_total`).
    public var stalls: UInt64 { liveness.stalls }
    /// How long the last stall lasted (from its first unanswered probe to the answer), if any ended.
    public internal(set) var lastStallMilliseconds: UInt64?
    /// The (id, source) of the last envelope handed on: an exact and a pattern subscription
    /// matching one PUBLISH deliver it twice, back to back.
    private var lastReceived: (id: String, source: String)?

    public init(loop: EventLoop, settings: Settings) {
        self.settings = settings
        self.keys = RedisKeys(prefix: settings.keyPrefix)
        self.loop = loop
        self.liveness = LivenessProbe(intervalMilliseconds: settings.pingIntervalMilliseconds, timeoutMilliseconds: settings.timeoutMilliseconds,
                                      reconnectAfterMilliseconds: settings.stallReconnectMilliseconds)
        commands = RedisConnection(loop: loop, endpoint: settings.endpoint, name: "stampede-\(settings.nodeID)-cmd",
                                   connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds,
                                   reconnectMaxMilliseconds: settings.reconnectMaxMilliseconds)
        subscriber = RedisSubscriber(loop: loop, endpoint: settings.endpoint, name: "stampede-\(settings.nodeID)-sub",
                                     connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds,
                                     reconnectMaxMilliseconds: settings.reconnectMaxMilliseconds)
    }

    public func start() {
        commands.onStateChange = { [unowned self] _ in self.linkStateChanged() }
        subscriber.onStateChange = { [unowned self] _ in self.linkStateChanged() }
        subscriber.onMessage = { [unowned self] channel, pattern, payload in self.received(channel: channel, payload: payload) }
        commands.start()
        subscriber.start()
        // Kept by the subscriber's table: re-subscribed after every reconnect.
        subscriber.subscribe(keys.controlChannel(nodeID), confirmed: nil)
        startProbing()
    }

    public func sendControl(_ payload: [UInt8], to node: String) {
        send([Array("PUBLISH".utf8), Array(keys.controlChannel(node).utf8), payload])
    }

    /// A claim outlives a node that dies holding it by at most this long.
    static let claimMilliseconds = "86400000"
    /// DEL only when the value is this node's id.
    static let releaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

    public func claim(_ name: String, takeOver: Bool, completion: @escaping (String?) -> Void) {
        let key = keys.owner(name)
        var command = ["SET", key, nodeID, "PX", Self.claimMilliseconds]
        if !takeOver { command.append("NX") }
        send(command.map { Array($0.utf8) }) { [weak self] reply in
            guard let self else { return }
            if reply.string == "OK" { return completion(self.nodeID) }
            self.owner(of: name, completion: completion)
        }
    }

    public func owner(of name: String, completion: @escaping (String?) -> Void) {
        send(["GET", keys.owner(name)].map { Array($0.utf8) }) { reply in completion(reply.string) }
    }

    public func release(_ name: String) {
        send(["EVAL", Self.releaseScript, "1", keys.owner(name), nodeID].map { Array($0.utf8) })
    }

    /// Withdraws this node from the registry, then closes both connections.
    public func stop() {
        stopProbing()
        subscriber.close()
        guard commands.state == .connected else {
            commands.close()
            return
        }
        commands.send(["SREM", keys.nodes, nodeID])
        commands.send(["DEL", keys.usersOf(nodeID)])
        commands.send(["DEL", keys.node(nodeID)]) { [commands] _ in commands.close() }
    }

    func linkStateChanged() {
        let next: BusLinkState
        switch (commands.state, subscriber.state) {
        case (.connected, .connected):
            if liveness.isStalled {
                next = .degraded("redis stalled: a probe got no answer within \(settings.timeoutMilliseconds) ms")
            } else if congested {
                next = .degraded("redis congested: more than \(settings.maxPendingBytes) bytes await replies")
            } else {
                next = .connected
            }
        case (.closed, _), (_, .closed): return
        case (let c, let s): next = .degraded(c == .connected ? "subscriber link: \(s)" : "command link: \(c)")
        }
        guard next != state else { return }
        state = next
        delegate?.bus(stateDidChange: next)
    }

    // MARK: Topics and users

    public func setInterest(_ interest: Interest, active: Bool, confirmed: (() -> Void)?) {
        switch interest {
        case .destination(let destination):
            active ? subscriber.subscribe(keys.destinationChannel(destination), confirmed: confirmed)
                : subscriber.unsubscribe(keys.destinationChannel(destination))
        case .user(let user):
            active ? subscriber.subscribe(keys.userChannel(user), confirmed: confirmed) : subscriber.unsubscribe(keys.userChannel(user))
        case .pattern(let pattern):
            let wildcards = Set([settings.syntax.singleWildcard] + settings.syntax.multiWildcard)
            let glob = keys.destinationGlob(pattern, separators: settings.syntax.separators, wildcards: wildcards)
            active ? subscriber.psubscribe(glob, confirmed: confirmed) : subscriber.punsubscribe(glob)
        }
    }

    public func publish(_ envelope: Envelope, to interest: Interest) {
        let channel: String
        switch interest {
        case .destination(let destination), .pattern(let destination): channel = keys.destinationChannel(destination)
        case .user(let user): channel = keys.userChannel(user)
        }
        // A stalled Redis reads nothing: queued PUBLISHes would only pile up in this node's
        // memory (hiredis's output buffer) for a reader that may never come back. A congested
        // one reads slower than this node publishes. Counted instead.
        if liveness.isStalled || congested {
            undeliverable += 1
            return
        }
        send([Array("PUBLISH".utf8), Array(channel.utf8), envelope.encode()])
    }

    private func received(channel: [UInt8], payload: [UInt8]) {
        if channel.elementsEqual(keys.probeChannel(nodeID).utf8) {
            return probeEchoed(payload)
        }
        let notifyPrefix = Array("\(keys.prefix):qn:".utf8)
        if channel.starts(with: notifyPrefix) {
            delegate?.bus(queueHasMessages: String(decoding: channel[notifyPrefix.count...], as: UTF8.self))
            return
        }
        if channel.elementsEqual(keys.controlChannel(nodeID).utf8) {
            delegate?.bus(didReceiveControl: payload)
            return
        }
        guard let envelope = try? Envelope.decode(payload, maxBytes: settings.maxEnvelopeBytes) else {
            malformedReceived += 1
            return
        }
        guard envelope.sourceNode != nodeID else { return }
        if let last = lastReceived, last.id == envelope.messageID, last.source == envelope.sourceNode { return }
        lastReceived = (envelope.messageID, envelope.sourceNode)
        delegate?.bus(didReceive: envelope)
    }

    /// Sends a command whose loss matters: a failure counts as undeliverable. Its bytes count as
    /// pending until the reply (or the local error) comes back.
    func send(_ arguments: [[UInt8]], completion: ((RedisReply) -> Void)? = nil) {
        let bytes = Self.commandBytes(arguments)
        pendingBytes += bytes
        loop.memory.adjustRedis(by: bytes)
        if !congested, settings.maxPendingBytes > 0, pendingBytes > settings.maxPendingBytes {
            congested = true
            congestions += 1
            linkStateChanged()
        }
        commands.send(arguments) { [weak self] reply in
            guard let self else { return }
            pendingBytes -= bytes
            loop.memory.adjustRedis(by: -bytes)
            if congested, pendingBytes <= settings.maxPendingBytes / 2 {
                congested = false
                linkStateChanged()
            }
            if reply.isError { undeliverable += 1 }
            completion?(reply)
        }
    }

    /// A command's size as sent (RESP: `*n`, then `$len` and the bytes of each argument).
    static func commandBytes(_ arguments: [[UInt8]]) -> Int {
        var bytes = 16
        for argument in arguments { bytes += argument.count + 16 }
        return bytes
    }

    // MARK: Registry

    public func report(_ report: NodeReport) {
        guard commands.state == .connected, let json = try? JSONEncoder().encode(report) else { return }
        commands.send([Array("SET".utf8), Array(keys.node(nodeID).utf8), Array(json), Array("PX".utf8), Array(String(settings.nodeTimeoutMilliseconds).utf8)])
        commands.send(["SADD", keys.nodes, nodeID])
        writeUserSessions(report.users)
        findDeadNodes()
    }

    public func clusterView(_ completion: @escaping (Result<[NodeReport], BusError>) -> Void) {
        commands.send(["SMEMBERS", keys.nodes]) { [keys, commands] reply in
            guard let ids = reply.array?.compactMap(\.string) else {
                return completion(.failure(BusError(reply.errorMessage ?? "unexpected reply to SMEMBERS")))
            }
            guard !ids.isEmpty else { return completion(.success([])) }
            commands.send(["MGET"] + ids.map(keys.node)) { reply in
                guard let values = reply.array else {
                    return completion(.failure(BusError(reply.errorMessage ?? "unexpected reply to MGET")))
                }
                let decoder = JSONDecoder()
                let reports = values.compactMap { $0.bytes.flatMap { try? decoder.decode(NodeReport.self, from: Data($0)) } }
                completion(.success(reports.sorted { $0.id < $1.id }))
            }
        }
    }

    /// A member of `P:nodes` whose report key expired is dead. SREM answers 1 to exactly one
    /// survivor, which then cleans up after it: several survivors may try at once safely.
    private func findDeadNodes() {
        commands.send(["SMEMBERS", keys.nodes]) { [weak self] reply in
            guard let self, let ids = reply.array?.compactMap(\.string) else { return }
            for id in ids where id != self.nodeID {
                self.commands.send(["EXISTS", self.keys.node(id)]) { [weak self] exists in
                    guard let self, exists.integer == 0 else { return }
                    self.commands.send(["SREM", self.keys.nodes, id]) { [weak self] removed in
                        guard let self, removed.integer == 1 else { return }
                        self.cleanUp(deadNode: id)
                        self.endPresence(of: id)
                        self.delegate?.bus(nodeDidDie: id)
                    }
                }
            }
        }
    }
}
