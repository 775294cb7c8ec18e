internal import SockJSWire

/// The cluster as the SockJS transports use it: who owns a session, and a way to reach a node.
/// The node fills it from its cluster bus (`ClusterBus.claim`, `sendControl`).
public struct SockJSCluster {
    public var nodeID: String
    /// Makes this node a name's owner unless another node is (`takeOver`: replace it); the
    /// completion gets the owner afterwards, nil when the cluster could not be asked.
    public var claim: (_ name: String, _ takeOver: Bool, _ completion: @escaping (String?) -> Void) -> Void
    public var owner: (_ name: String, _ completion: @escaping (String?) -> Void) -> Void
    public var release: (_ name: String) -> Void
    public var relay: (_ message: SockJSRelayMessage, _ node: String) -> Void
    /// A relayed request whose owner says nothing for this long (beyond a heart-beat interval
    /// for receiving requests) is answered here: the owner is gone.
    public var answerTimeoutMilliseconds: UInt64

    public init(
        nodeID: String, answerTimeoutMilliseconds: UInt64 = 3_000,
        claim: @escaping (String, Bool, @escaping (String?) -> Void) -> Void,
        owner: @escaping (String, @escaping (String?) -> Void) -> Void,
        release: @escaping (String) -> Void,
        relay: @escaping (SockJSRelayMessage, String) -> Void
    ) {
        self.nodeID = nodeID
        self.answerTimeoutMilliseconds = answerTimeoutMilliseconds
        self.claim = claim
        self.owner = owner
        self.release = release
        self.relay = relay
    }
}

/// A receiving request of another node attached to a session of this one: what the session
/// writes goes to that node, which writes it on its HTTP response.
final class SockJSRemoteReceiver: SockJSReceiver {
    unowned let server: SockJSServer
    let key: SockJSServer.RemoteReceiverKey

    init(server: SockJSServer, key: SockJSServer.RemoteReceiverKey) {
        self.server = server
        self.key = key
    }

    func write(_ bytes: [UInt8]) {
        server.cluster?.relay(.frames(receiver: key.number, bytes: bytes), key.node)
    }

    func end() {
        server.remoteReceivers[key] = nil
        server.cluster?.relay(.end(receiver: key.number, found: true), key.node)
    }
}

extension SockJSServer {
    /// A relay message from another node (the node's control channel).
    public func receive(_ message: SockJSRelayMessage) {
        guard let cluster else { return }
        switch message {
        case .attach(let name, let kind, let from, let number):
            guard let key = SessionKey(name: name), let host = sessions[key] else {
                return cluster.relay(.end(receiver: number, found: false), from)
            }
            let remoteKey = RemoteReceiverKey(node: from, number: number)
            let id = makeReceiverID(SockJSRemoteReceiver(server: self, key: remoteKey))
            remoteReceivers[remoteKey] = (id, key)
            host.attach(id, kind: kind)
        case .detach(_, let from, let number):
            guard let attached = remoteReceivers.removeValue(forKey: RemoteReceiverKey(node: from, number: number)) else { return }
            sessions[attached.session]?.detach(attached.id)
        case .frames(let number, let bytes):
            relayedRequests[number]?.relayedFrames(bytes, now: clock())
        case .end(let number, let found):
            relayedRequests.removeValue(forKey: number)?.relayEnded(found: found)
        case .send(let name, let messages, let from, let number):
            let host = SessionKey(name: name).flatMap { sessions[$0] }
            host?.receive(messages)
            cluster.relay(.sent(request: number, found: host != nil), from)
        case .sent(let number, let found):
            relayedRequests.removeValue(forKey: number)?.relayedSendAnswered(found: found)
        }
    }

    /// A node died: its requests attached here let go (their sessions time out unless the
    /// client comes back), and requests relayed to it are answered now.
    public func nodeDied(_ node: String) {
        for (key, attached) in remoteReceivers where key.node == node {
            remoteReceivers[key] = nil
            sessions[attached.session]?.detach(attached.id)
        }
        knownOwners = knownOwners.filter { $0.value != node }
        for (number, connection) in relayedRequests where connection.relayedTo == node {
            relayedRequests[number] = nil
            connection.relayOwnerGone()
        }
    }

    func remember(owner: String, of key: SessionKey) {
        if knownOwners.count >= Self.maxKnownOwners { knownOwners.removeAll(keepingCapacity: true) }
        knownOwners[key] = owner
    }

    func makeRelayNumber(for connection: SockJSHTTPConnection) -> UInt64 {
        let number = nextRelayNumber
        nextRelayNumber += 1
        relayedRequests[number] = connection
        return number
    }

    /// Relayed requests past their deadline (the owner went quiet).
    func expireRelayedRequests(now: UInt64) {
        for (number, connection) in relayedRequests where now >= connection.relayDeadline {
            relayedRequests[number] = nil
            connection.relayOwnerGone()
        }
    }
}
