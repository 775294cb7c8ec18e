internal import SockJSWire
internal import UVLoop

/// No sticky sessions: a request for a session this node does not hold asks the cluster who
/// owns it and, when another node does, is answered with what that node relays (frames for a
/// poll or stream, the outcome of a send). Nobody owning it: this node claims and opens it.
extension SockJSHTTPConnection {
    func findOwner(_ request: ReceivingRequest) {
        guard let cluster = server.cluster else { return receiveLocally(request) }
        if let owner = server.knownOwners[request.key] { return relayReceive(request, to: owner) }
        awaitingCluster = true
        cluster.owner(request.key.name) { [weak self] owner in
            guard let self, self.awaitingCluster, !self.tcp.isClosing else { return }
            self.awaitingCluster = false
            if self.server.sessions[request.key] != nil { return self.receiveLocally(request) }
            if let owner, owner != cluster.nodeID {
                self.server.remember(owner: owner, of: request.key)
                return self.relayReceive(request, to: owner)
            }
            self.claim(request, takeOver: owner != nil)
        }
    }

    /// Makes this node the session's owner (`takeOver`: the recorded owner is this node or
    /// gone), then opens it here; another node winning the race gets the request relayed.
    func claim(_ request: ReceivingRequest, takeOver: Bool) {
        guard let cluster = server.cluster else { return receiveLocally(request) }
        awaitingCluster = true
        cluster.claim(request.key.name, takeOver) { [weak self] owner in
            guard let self, self.awaitingCluster, !self.tcp.isClosing else { return }
            self.awaitingCluster = false
            if let owner, owner != cluster.nodeID, self.server.sessions[request.key] == nil { return self.relayReceive(request, to: owner) }
            self.receiveLocally(request)
        }
    }

    private func relayReceive(_ request: ReceivingRequest, to owner: String) {
        guard let cluster = server.cluster else { return }
        writeHead(request)
        let number = server.makeRelayNumber(for: self)
        relay = RelayedRequest(node: owner, number: number, key: request.key, receiving: request, sendTransport: nil)
        extendRelayDeadline(now: server.clock())
        cluster.relay(.attach(session: request.key.name, kind: request.kind, from: cluster.nodeID, receiver: number), owner)
    }

    func relaySend(_ messages: [String], to key: SockJSServer.SessionKey, transport: SockJSTransport, origin: String?) {
        guard let cluster = server.cluster else { return answerSend(found: false, transport: transport, origin: origin) }
        if let owner = server.knownOwners[key] { return forwardSend(messages, to: owner, key: key, transport: transport, origin: origin) }
        awaitingCluster = true
        cluster.owner(key.name) { [weak self] owner in
            guard let self, self.awaitingCluster, !self.tcp.isClosing else { return }
            self.awaitingCluster = false
            if let host = self.server.sessions[key] {
                host.receive(messages)
                self.answerSend(found: true, transport: transport, origin: origin)
                return self.readRequests()
            }
            guard let owner, owner != cluster.nodeID else {
                self.answerSend(found: false, transport: transport, origin: origin)
                return self.readRequests()
            }
            self.server.remember(owner: owner, of: key)
            self.forwardSend(messages, to: owner, key: key, transport: transport, origin: origin)
        }
    }

    private func forwardSend(_ messages: [String], to owner: String, key: SockJSServer.SessionKey, transport: SockJSTransport, origin: String?) {
        guard let cluster = server.cluster else { return }
        let number = server.makeRelayNumber(for: self)
        relay = RelayedRequest(node: owner, number: number, key: key, receiving: nil, sendTransport: transport, origin: origin)
        relayDeadline = server.clock() + cluster.answerTimeoutMilliseconds
        cluster.relay(.send(session: key.name, messages: messages, from: cluster.nodeID, request: number), owner)
    }

    /// The node this request is relayed to, if any.
    var relayedTo: String? { relay?.node }

    func relayedFrames(_ bytes: [UInt8], now: UInt64) {
        guard relay?.receiving != nil else { return }
        extendRelayDeadline(now: now)
        write(bytes)
    }

    /// The owner ended the receiving request; `found` false: it has no such session, so it is
    /// this node's to open (the client's next frame is then `o`, or a close for a lost session).
    func relayEnded(found: Bool) {
        guard let request = relay?.receiving else { return }
        relay = nil
        if found { return end() }
        server.knownOwners[request.key] = nil
        claim(request, takeOver: true)
    }

    func relayedSendAnswered(found: Bool) {
        guard let current = relay, let transport = current.sendTransport else { return }
        relay = nil
        if !found { server.knownOwners[current.key] = nil }
        answerSend(found: found, transport: transport, origin: current.origin)
        readRequests()
    }

    /// The owner died or stayed silent past the deadline.
    func relayOwnerGone() {
        guard let current = relay else { return }
        relay = nil
        server.knownOwners[current.key] = nil
        if let request = current.receiving {
            // Opening the session here tells the client (sockjs-client closes with "Server lost
            // session" on a second `o`) instead of sending its polls to a dead node for a day.
            claim(request, takeOver: true)
        } else if let transport = current.sendTransport {
            answerSend(found: false, transport: transport, origin: current.origin)
            readRequests()
        }
    }

    /// The client went away during a relayed request: the owner lets go of it.
    func relayClientGone() {
        guard let current = relay, let cluster = server.cluster else { return }
        relay = nil
        server.relayedRequests[current.number] = nil
        if let request = current.receiving {
            cluster.relay(.detach(session: request.key.name, from: cluster.nodeID, receiver: current.number), current.node)
        }
    }

    private func extendRelayDeadline(now: UInt64) {
        relayDeadline = now + server.options.heartbeatMilliseconds + (server.cluster?.answerTimeoutMilliseconds ?? 0)
    }
}
