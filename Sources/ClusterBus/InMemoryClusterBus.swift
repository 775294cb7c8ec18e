public import Router

/// The cluster of one process: nodes that share a hub reach each other directly. With a single
/// node it is the embedded default (no Redis); with several it lets the routing tests run the
/// same body as against Redis. Calls complete synchronously.
public final class InMemoryClusterHub {
    let syntax: DestinationSyntax
    /// Messages kept per shared queue while no node takes them; the oldest go first.
    let queueCapacity: Int
    /// Weak: a bus keeps its hub alive, not the other way round.
    private var members: [String: WeakBus] = [:]
    /// Which nodes hear which topic destinations and patterns.
    private var topicInterest: SubscriptionIndex<String>
    private var userInterest: [String: Set<String>] = [:]
    private var queues: [String: SharedQueue] = [:]
    private var reports: [String: NodeReport] = [:]
    /// Presence: destination → user → nodes where the user is present.
    var presence: [String: [String: Set<String>]] = [:]
    /// Owned names (`ClusterBus.claim`): name → node.
    var owners: [String: String] = [:]

    public init(syntax: DestinationSyntax = .init(), queueCapacity: Int = 10_000) {
        self.syntax = syntax
        self.queueCapacity = queueCapacity
        topicInterest = SubscriptionIndex(syntax: syntax)
    }

    /// A node of this hub. Several nodes share queues through the hub.
    public func makeBus(nodeID: String) -> InMemoryClusterBus {
        let bus = InMemoryClusterBus(nodeID: nodeID, hub: self, isClustered: true)
        members[nodeID] = WeakBus(bus: bus)
        return bus
    }

    var buses: [String: InMemoryClusterBus] { members.compactMapValues(\.bus) }

    /// Removes a node as if it had died: its interests vanish and its pulled, unsettled queue
    /// messages go back to their queues flagged redelivered.
    public func kill(_ nodeID: String) {
        guard members.removeValue(forKey: nodeID) != nil else { return }
        forgetInterests(of: nodeID)
        reports[nodeID] = nil
        for name in Array(queues.keys) {
            let taken = queues[name]!.releaseAll(of: nodeID)
            if !taken.isEmpty { requeue(queue: name, entries: taken, from: nodeID) }
        }
        for bus in buses.values { bus.delegate?.bus(nodeDidDie: nodeID) }
        endPresence(of: nodeID)
    }

    // MARK: Called by the buses

    func sendControl(_ payload: [UInt8], to node: String) {
        members[node]?.bus?.delegate?.bus(didReceiveControl: payload)
    }

    func claim(_ name: String, takeOver: Bool, node: String) -> String {
        if takeOver || owners[name] == nil { owners[name] = node }
        return owners[name]!
    }

    func release(_ name: String, node: String) {
        if owners[name] == node { owners[name] = nil }
    }

    func setInterest(_ interest: Interest, active: Bool, node: String) {
        switch interest {
        case .destination(let destination), .pattern(let destination):
            if active { topicInterest.insert(node, for: destination) } else { topicInterest.remove(node, for: destination) }
        case .user(let name):
            if active {
                userInterest[name, default: []].insert(node)
            } else {
                userInterest[name]?.remove(node)
                if userInterest[name]?.isEmpty == true { userInterest[name] = nil }
            }
        }
    }

    func publish(_ envelope: Envelope, to interest: Interest, from node: String) {
        let receivers: [String]
        switch interest {
        case .destination(let destination), .pattern(let destination):
            receivers = topicInterest.match(destination)
        case .user(let name):
            receivers = userInterest[name].map { Array($0).sorted() } ?? []
        }
        for receiver in receivers where receiver != node {
            buses[receiver]?.delegate?.bus(didReceive: envelope)
        }
    }

    func setQueueInterest(_ queue: String, active: Bool, node: String) {
        if queues[queue] == nil { queues[queue] = SharedQueue() }
        if active { queues[queue]!.consumers.insert(node) } else { queues[queue]!.consumers.remove(node) }
        if active, !queues[queue]!.waiting.isEmpty { buses[node]?.delegate?.bus(queueHasMessages: queue) }
    }

    func enqueue(_ envelope: Envelope, queue: String) {
        if queues[queue] == nil { queues[queue] = SharedQueue() }
        queues[queue]!.append(envelope, capacity: queueCapacity)
        notifyConsumers(of: queue)
    }

    func pull(queue: String, max: Int, node: String) -> [QueueEntry] {
        guard queues[queue] != nil else { return [] }
        return queues[queue]!.take(max, for: node)
    }

    func settle(queue: String, entryIDs: [String], node: String) {
        queues[queue]?.settle(entryIDs, of: node)
    }

    func requeue(queue: String, entries: [QueueEntry], from node: String) {
        guard queues[queue] != nil else { return }
        queues[queue]!.settle(entries.map(\.id), of: node)
        for entry in entries {
            var envelope = entry.envelope
            envelope.redelivered = true
            queues[queue]!.append(envelope, capacity: Int.max)
        }
        notifyConsumers(of: queue)
    }

    func report(_ report: NodeReport) { reports[report.id] = report }

    var allReports: [NodeReport] { reports.values.sorted { $0.id < $1.id } }

    private func notifyConsumers(of queue: String) {
        for consumer in queues[queue]!.consumers.sorted() {
            buses[consumer]?.delegate?.bus(queueHasMessages: queue)
        }
    }

    private func forgetInterests(of node: String) {
        for pattern in topicInterest.patterns { topicInterest.remove(node, for: pattern) }
        for name in Array(userInterest.keys) { setInterest(.user(name), active: false, node: node) }
        for name in Array(queues.keys) { queues[name]!.consumers.remove(node) }
    }
}

/// A queue shared by the nodes of an in-memory hub: waiting messages, and those a node has
/// pulled but not yet settled.
struct SharedQueue {
    var waiting: [QueueEntry] = []
    var taken: [String: [String: QueueEntry]] = [:]
    var consumers: Set<String> = []
    var lastID: UInt64 = 0

    /// Appends; beyond `capacity` waiting messages the oldest is dropped (Redis MAXLEN does the same).
    mutating func append(_ envelope: Envelope, capacity: Int) {
        if waiting.count >= capacity, !waiting.isEmpty { waiting.removeFirst() }
        lastID += 1
        waiting.append(QueueEntry(id: "\(lastID)-0", envelope: envelope))
    }

    mutating func take(_ max: Int, for node: String) -> [QueueEntry] {
        let count = Swift.min(max, waiting.count)
        guard count > 0 else { return [] }
        let out = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        for entry in out { taken[node, default: [:]][entry.id] = entry }
        return out
    }

    mutating func settle(_ ids: [String], of node: String) {
        for id in ids { taken[node]?[id] = nil }
    }

    mutating func releaseAll(of node: String) -> [QueueEntry] {
        let entries = taken.removeValue(forKey: node).map { $0.values.sorted { $0.id < $1.id } } ?? []
        taken[node] = entries.isEmpty ? nil : Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
        return entries
    }
}

/// One node's handle on an `InMemoryClusterHub`.
public final class InMemoryClusterBus: ClusterBus {
    public let nodeID: String
    public weak var delegate: (any ClusterBusDelegate)?
    public let state: BusLinkState = .standalone
    public let undeliverable: UInt64 = 0
    /// False for a lone node: its queues stay entirely inside its own broker.
    public let isClustered: Bool
    private let hub: InMemoryClusterHub

    init(nodeID: String, hub: InMemoryClusterHub, isClustered: Bool) {
        self.nodeID = nodeID
        self.hub = hub
        self.isClustered = isClustered
    }

    /// A single node with nobody else: the embedded default.
    public convenience init(nodeID: String, syntax: DestinationSyntax = .init()) {
        self.init(nodeID: nodeID, hub: InMemoryClusterHub(syntax: syntax), isClustered: false)
    }

    public func start() {}
    public func stop() {}

    public func setInterest(_ interest: Interest, active: Bool, confirmed: (() -> Void)?) {
        hub.setInterest(interest, active: active, node: nodeID)
        confirmed?()
    }

    public func publish(_ envelope: Envelope, to interest: Interest) { hub.publish(envelope, to: interest, from: nodeID) }
    public func setQueueInterest(_ queue: String, active: Bool) { hub.setQueueInterest(queue, active: active, node: nodeID) }
    public func enqueue(_ envelope: Envelope, queue: String) { hub.enqueue(envelope, queue: queue) }

    public func pull(queue: String, max: Int, completion: @escaping ([QueueEntry]) -> Void) {
        completion(hub.pull(queue: queue, max: max, node: nodeID))
    }

    public func settle(queue: String, entryIDs: [String]) { hub.settle(queue: queue, entryIDs: entryIDs, node: nodeID) }
    public func requeue(queue: String, entries: [QueueEntry]) { hub.requeue(queue: queue, entries: entries, from: nodeID) }
    public func report(_ report: NodeReport) { hub.report(report) }

    public func updatePresence(destination: String, user: String, present: Bool, completion: @escaping (Bool) -> Void) {
        completion(hub.updatePresence(destination: destination, user: user, present: present, node: nodeID))
    }

    public func presentUsers(in destination: String, completion: @escaping ([String]) -> Void) {
        completion((hub.presence[destination]?.keys).map { Array($0).sorted() } ?? [])
    }

    public func clusterView(_ completion: @escaping (Result<[NodeReport], BusError>) -> Void) {
        completion(.success(hub.allReports))
    }

    public func sendControl(_ payload: [UInt8], to node: String) {
        // A lone node is not a member of its hub: it reaches itself directly.
        if node == nodeID { delegate?.bus(didReceiveControl: payload) } else { hub.sendControl(payload, to: node) }
    }

    public func claim(_ name: String, takeOver: Bool, completion: @escaping (String?) -> Void) {
        completion(hub.claim(name, takeOver: takeOver, node: nodeID))
    }

    public func owner(of name: String, completion: @escaping (String?) -> Void) { completion(hub.owners[name]) }
    public func release(_ name: String) { hub.release(name, node: nodeID) }

    public func sessionsElsewhere(ofUser user: String, completion: @escaping (Int?) -> Void) {
        completion(hub.allReports.reduce(0) { total, report in total + (report.id == nodeID ? 0 : report.users[user] ?? 0) })
    }
}

struct WeakBus {
    weak var bus: InMemoryClusterBus?
}
