internal import HTTPWire
internal import WebSocketWire
internal import STOMPWire
internal import STOMPSession
internal import Broker
internal import UVLoop
internal import FlowControl
internal import Auth
internal import Webhooks
internal import JSONProtocol

/// One client socket: the protocol stack (raw STOMP, or HTTP upgrade then WebSocket, then STOMP)
/// around a `STOMPSession`. It turns bytes into session events and carries the session's actions
/// out; the node does the broker work. Confined to the loop thread.
final class ClientConnection: TCPConnectionDelegate {
    enum Transport: String, Equatable {
        case rawSTOMP = "stomp"
        case webSocket = "websocket"
        /// A SockJS session: raw STOMP over the node's in-process end of the session's stream.
        case sockJS = "sockjs"
    }

    let tcp: TCPConnection
    /// Strong, so that a use borrows it: an `unowned` read takes a strong reference every time,
    /// several times per frame, and the node's references go through the slow side-table path
    /// because the node is also referenced weakly (issue 13). The cycle this makes is broken
    /// when the node drops the connection from `connections` after its socket's close callback,
    /// which every connection reaches before `Node.run` returns.
    let node: Node
    let transport: Transport
    let acceptedAt: UInt64
    /// Why the session ended, for the "session closed" log line (the first reason wins).
    var closeReason: String?
    /// CONNECTED was sent: the session's end is logged.
    var didConnect = false
    // `@exclusivity(unchecked)`: loop-thread state on the per-message path, never accessed
    // overlapping (ARCHITECTURE.md, "Exclusivity checks on the per-message path").
    @exclusivity(unchecked) var session: STOMPSession
    @exclusivity(unchecked) var decoder: STOMPDecoder
    /// Until the upgrade request is complete (WebSocket endpoint only).
    /// Boxed: the parser is about 160 bytes that every connection carried inline after the upgrade.
    var handshake: HandshakeInProgress?
    @exclusivity(unchecked) var webSocket: WebSocketConnection?
    /// permessage-deflate negotiated: MESSAGEs whose shared tail reaches this size go out compressed.
    @exclusivity(unchecked) var compressFrom: Int?
    /// Set once the connection is on its way out; nothing more is read or delivered.
    @exclusivity(unchecked) private(set) var closingSince: UInt64?
    /// The WebSocket close code that goes with the ERROR being sent.
    var errorCloseCode: UInt16 = WebSocketCloseCode.policyViolation
    /// An ERROR went out: the WebSocket close carries `errorCloseCode` instead of 1000.
    var sentError = false
    /// Everything read so far came in WebSocket text messages, which were validated as UTF-8 on
    /// the way in: a SEND body from it needs no check on the way out (issue 13). False on raw
    /// STOMP and from the first binary message on.
    /// (Next to the other small fields, in their padding: no byte more per connection.)
    @exclusivity(unchecked) var readsTextOnly = false
    /// Actions waiting for the cluster to confirm a new interest (e.g. the RECEIPT of a
    /// SUBSCRIBE); input waits too, so frames keep their order.
    var heldActions: [SessionAction]?
    /// The deadline of the frame in progress (WebSocket frame or message, STOMP frame).
    @exclusivity(unchecked) var partialFrame: PartialFrameClock
    /// Inbound bytes of partial frames, as last added to the loop's `memory.inboundBytes`.
    @exclusivity(unchecked) var inboundHeld = 0
    /// Frames (and WebSocket messages) completed so far: progress for the frame deadline.
    @exclusivity(unchecked) var framesCompleted: UInt64 = 0
    /// The previous SEND's destination as the node judged it (see `Node.judgeSend`).
    var lastSend: RememberedSend?
    /// Since when the output has been over `limits.max-output-buffer-bytes` (nil: it is not).
    var overLimitSince: UInt64?
    /// The subscriber whose backlog paused this publisher (publisher flow control), if paused.
    var blockedBy: SessionID?
    /// The endpoint the client came through: known at accept for raw STOMP, at the handshake
    /// for WebSocket.
    var endpoint: EndpointConfiguration?
    /// The endpoints of the listener this WebSocket client came through; nil: the shared
    /// listener's (`Node.webSocketEndpoints`).
    var webSocketRoutes: WebSocketRoutes?
    /// `/app` SENDs with a `correlation-id` whose answer has not come yet (at most
    /// `LatencyMetrics.maxAwaitedPerSession`), for `stampede_app_round_trip_seconds`.
    var awaitedAnswers: [(correlation: String, startedAt: UInt64)] = []
    /// The identity a token at the WebSocket handshake proved.
    var handshakeIdentity: Identity?
    /// The user this session counts against `limits.max-connections-per-user`.
    var countedUser: String?
    /// Inbound rate limits; nil (8 bytes instead of about 90 per connection) when both are off.
    var rateLimits: InboundRateLimits?
    /// The plain JSON protocol's state (`protocol=json` endpoints, once authenticated); boxed,
    /// so STOMP connections pay 8 bytes for it.
    var json: JSONConnectionState?
    /// The session got to CONNECTED (a disconnect event is due when it ends).
    private(set) var wasConnected = false

    init(tcp: TCPConnection, node: Node, transport: Transport, endpoint: EndpointConfiguration?, sessionID: SessionID, now: UInt64) {
        self.tcp = tcp
        self.node = node
        self.transport = transport
        self.acceptedAt = now
        self.endpoint = endpoint
        self.session = STOMPSession(
            id: sessionID, configuration: node.configuration.session,
            endpoint: endpoint?.name ?? transport.rawValue, now: now)
        self.decoder = STOMPDecoder(limits: node.configuration.stomp)
        self.partialFrame = PartialFrameClock(timeoutMilliseconds: node.configuration.frameTimeoutMilliseconds)
        if transport == .webSocket { handshake = HandshakeInProgress(parser: HTTPRequestParser(limits: node.configuration.http)) }
        rateLimits = InboundRateLimits(
            framesPerSecond: Double(node.configuration.framesPerSecondPerConnection),
            bytesPerSecond: Double(node.configuration.bytesPerSecondPerConnection), now: now)
    }

    var id: SessionID { session.id }
    /// The client's address: from a trusted proxy's header or the SockJS request when known, else the socket's peer.
    var clientPeer: String { forwardedAddress ?? tcp.peerAddress }
    /// The endpoint the client came through, as backends see it (`app-endpoint`).
    var endpointName: String { session.endpoint }
    /// Who the client is once CONNECT succeeded; every broker operation is done as this identity.
    var identity: Identity? { session.identity }
    var isOpen: Bool { closingSince == nil }

    // MARK: Input

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard isOpen else { return }
        let now = node.now
        node.counters.bytesIn += UInt64(bytes.count)
        session.noteReceived(now: now)
        json?.session.noteInput(now: now)
        if let rateLimits, rateLimits.bytes != nil, !rateLimits.bytes!.take(Double(bytes.count), now: now, force: true) { overRate(now: now) }
        let completedBefore = framesCompleted
        if handshake != nil {
            readHandshake(bytes)
        } else if webSocket != nil {
            readWebSocket(bytes)
        } else if json != nil {
            readJSONStream(bytes)
        } else {
            readSTOMP(bytes)
        }
        noteInboundState(completedFrame: framesCompleted != completedBefore, now: now)
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        node.loop.memory.adjustInbound(by: -inboundHeld)
        inboundHeld = 0
        node.connectionClosed(self, error: error)
    }

    /// After input: the partial frames' bytes go into the node's budget, and the frame deadline
    /// starts, continues or stops. (The handshake has the CONNECT deadline.)
    func noteInboundState(completedFrame: Bool, now: UInt64) {
        decoder.releaseConsumedBytes()
        let held = decoder.heldByteCount + (webSocket?.heldByteCount ?? 0) + (handshake?.parser.bufferedByteCount ?? 0)
        if held != inboundHeld {
            node.loop.memory.adjustInbound(by: held - inboundHeld)
            inboundHeld = held
        }
        let inside = decoder.isInsideFrame || (webSocket?.isInsideFrame ?? false)
        if !inside, !node.budgetPassingReaders.isEmpty { node.budgetPassingReaders[id] = nil }  // its frame is done
        partialFrame.noteInput(insideFrame: inside, completedFrame: completedFrame, now: now)
        if held > 0 && node.loop.bufferedBytes > node.budget.highWatermarkBytes { node.applyBudget(toReader: self, inboundBytes: held) }
    }

    /// Nothing more is read: partial frames go now, not when the socket has finished closing
    /// (a cut-off attacker's 4 MB frame would otherwise count for the close grace).
    func releaseInput() {
        decoder = STOMPDecoder(limits: node.configuration.stomp)
        webSocket?.discardInput()
        node.loop.memory.adjustInbound(by: -inboundHeld)
        inboundHeld = 0
    }

    /// Bytes this connection holds: output queued or in flight, and partial inbound frames.
    var heldBytes: Int { tcp.heldOutputBytes + inboundHeld }

    func readWebSocket(_ bytes: UnsafeRawBufferPointer) {
        webSocket!.feed(bytes)
        while isOpen || webSocket?.state != .closed, let event = webSocket?.nextEvent(reusing: &node.webSocketPayloadScratch) {
            switch consume event {
            case .data(let payload, let isText):
                guard isOpen else { continue }
                if !isText { readsTextOnly = false }
                if json != nil {
                    collectJSON(payload, isText: isText)
                } else if isEcho {
                    collectEcho(payload)
                } else {
                    payload.withUnsafeBytes { readSTOMP($0) }
                }
                node.webSocketPayloadScratch = payload  // moved back for the next message (see `nextEvent(reusing:)`)
            case .messageEnd:
                framesCompleted &+= 1
                if json != nil, isOpen { finishJSONMessage() } else if isEcho { finishEcho() }
                continue
            case .write(let bytes):
                tcp.enqueue(bytes)
            case .closeSocket:
                if let code = webSocket?.closeCodeSent, code != WebSocketCloseCode.normal, isOpen {
                    node.log(refused: self, reason: "websocket protocol error, close code \(code)")
                }
                beginClose()
                return
            }
        }
    }

    func readSTOMP(_ bytes: UnsafeRawBufferPointer) {
        decoder.feed(bytes)
        processDecodedFrames()
    }

    func processDecodedFrames() {
        while isOpen, heldActions == nil {
            let event: STOMPDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                errorCloseCode = (error.kind == .bodyTooLarge || error.kind == .frameTooLarge)
                    ? WebSocketCloseCode.messageTooBig : WebSocketCloseCode.protocolError
                node.log(refused: self, reason: error.message)
                apply(session.decodingFailed(error))
                return
            }
            // Moved out of the event, not copied: a SEND's header array must stay unshared (see
            // `STOMPSession.send`).
            let frame: STOMPFrame
            switch consume event {
            case .frame(let decoded)?: frame = decoded
            case .heartbeat?: continue  // already noted
            case nil: return
            }
            node.counters.framesIn += 1
            framesCompleted &+= 1
            node.counters.framesInByCommand[frame.command] += 1
            if let rateLimits, rateLimits.frames != nil, !rateLimits.frames!.take(1, now: node.now, force: true) { overRate(now: node.now) }
            if session.state == .awaitingConnect, frame.command == .CONNECT || frame.command == .STOMP, node.hasConnectHook {
                // The backend decides; nothing else is read (and no CONNECTED sent) until it has.
                heldActions = []
                tcp.pauseReading()
                node.askConnectHook(frame, for: self) { [weak self] authenticator in self?.connectHookAnswered(frame, authenticator) }
                return
            }
            if session.state == .awaitingConnect, frame.command == .CONNECT || frame.command == .STOMP, checkPasswordOffLoop(frame) {
                if heldActions != nil { return }
                continue
            }
            receive(consume frame, authenticator: authenticator)
        }
    }

    func receive(_ frame: consuming STOMPFrame, authenticator: @autoclosure () -> any Authenticator) {
        let connectedBefore = session.state == .connected
        // The node's scratch array is taken, not shared: a nested receive (none is expected)
        // would find it empty and allocate its own.
        var actions: [SessionAction] = []
        swap(&actions, &node.sessionActionScratch)
        session.receive(consume frame, authenticator: authenticator(), now: node.now, into: &actions)
        decoder.version = session.version
        if !connectedBefore, session.state != .connected {
            node.counters.authenticationsRefused += 1
        }
        if !connectedBefore, session.state == .connected, let user = session.identity?.user {
            let limit = node.configuration.maxConnectionsPerUser
            if limit > 0, node.sessionsPerUser[user, default: 0] >= limit {
                node.counters.rateLimited["connections_per_user", default: 0] += 1
                node.log(refused: self, reason: "too many connections for this user")
                actions = session.terminate("too many connections for this user (limit \(limit))")
            } else {
                node.sessionsPerUser[user, default: 0] += 1
                countedUser = user
                if limit > 0 { checkSessionsElsewhere(of: user, limit: limit) }
            }
        }
        carryOut(&actions)
        // Emptied from the end (the carried-out slots hold placeholders): inlined, where
        // `removeAll` destroyed them through the runtime.
        while !actions.isEmpty { actions.removeLast() }
        if node.sessionActionScratch.capacity == 0 && actions.capacity <= 16 { swap(&actions, &node.sessionActionScratch) }
        if !wasConnected, session.state == .connected {
            wasConnected = true
            node.notifySessionEvent(.connect, self)
        }
    }

    /// `limits.max-connections-per-user` across the cluster: the other nodes' counts come from
    /// their last reports, so the answer arrives after CONNECTED; a session that makes the
    /// user's total exceed the limit is ended then, with the same ERROR as a local refusal.
    private func checkSessionsElsewhere(of user: String, limit: Int) {
        node.sessionsElsewhere(ofUser: user) { [weak self] elsewhere in
            guard let self, let elsewhere, self.isOpen, self.countedUser == user else { return }
            guard elsewhere + self.node.sessionsPerUser[user, default: 0] > limit else { return }
            self.node.counters.rateLimited["connections_per_user", default: 0] += 1
            self.node.log(refused: self, reason: "too many connections for this user (cluster)")
            self.node.uncountUser(of: self)
            self.apply(self.session.terminate("too many connections for this user (limit \(limit))"))
        }
    }

    /// The client address for logs: the peer, or what a trusted proxy says it forwarded.
    var forwardedAddress: String?

    // MARK: Output

    func write(_ frame: STOMPFrame) {
        if endpoint?.wireProtocol == .json, webSocket != nil || transport == .sockJS { return writeJSONFrame(frame) }
        if frame.command == .ERROR {
            sentError = true
            node.counters.errorsSent += 1
            if closeReason == nil { closeReason = frame["message"] ?? "error" }
        } else if frame.command == .CONNECTED {
            didConnect = true
            node.logSessionConnected(self)
        }
        writeRaw(STOMPEncoder.encode(frame, version: session.version))
        node.counters.framesOut += 1
        node.counters.framesOutByCommand[frame.command] += 1
    }

    /// Writes STOMP bytes, framed as a WebSocket message when upgraded (text when the bytes are
    /// valid UTF-8, binary otherwise).
    func writeRaw(_ bytes: [UInt8]) {
        guard isOpen else { return }
        tcp.beginFrame()
        if webSocket != nil {
            let opcode: WebSocketOpcode = UTF8Validator.isValid(bytes) ? .text : .binary
            tcp.enqueue(WebSocketFrameEncoder.frame(opcode: opcode, payload: bytes))
        } else {
            tcp.enqueue(bytes)
        }
        session.noteSent(now: node.now)
    }

    /// Writes one MESSAGE; returns the output bytes the connection holds afterwards (nil when
    /// it was not written), which publisher flow control compares. `now` and `outputLimit` come
    /// from the caller, once per publication. `alone`: no other delivery shares the publication
    /// (see `MessageEncoder.writeAlone`).
    func deliver(_ delivery: Delivery, alone: Bool = false, encoder: inout MessageEncoder, now: UInt64, outputLimit: Int) -> Int? {
        guard isOpen, session.state == .connected else { return nil }
        if tcp.heldOutputBytes > outputLimit, isSlowConsumer(now: now) { return nil }
        if json != nil { return deliverJSON(delivery, now: now) }  // the one branch for JSON clients
        if alone {
            encoder.writeAlone(delivery, version: session.version, webSocket: webSocket != nil, compressFrom: compressFrom, to: tcp)
        } else {
            encoder.write(delivery, version: session.version, webSocket: webSocket != nil, compressFrom: compressFrom, to: tcp)
        }
        session.noteSent(now: now)
        return tcp.heldOutputBytes
    }

    /// Periodic work: heart-beats, heart-beat and connect timeouts, cutting a stuck close.
    func tick(now: UInt64) {
        if let since = closingSince {
            if now &- since > node.configuration.closeGraceMilliseconds { tcp.close(afterFlush: false) }
            return
        }
        if isEcho, webSocket != nil { return tickEcho(now: now) }
        if session.state == .awaitingConnect, now &- acceptedAt > node.configuration.connectTimeoutMilliseconds {
            node.log(refused: self, reason: "no CONNECT within \(node.configuration.connectTimeoutMilliseconds) ms")
            if webSocket == nil && handshake != nil { beginClose() } else { terminate("CONNECT timeout", closeCode: WebSocketCloseCode.policyViolation) }
            return
        }
        if partialFrame.isExpired(now: now) {
            node.counters.frameTimeouts += 1
            node.log(refused: self, reason: "frame not completed in time")
            cutOff("frame not completed within \(node.configuration.frameTimeoutMilliseconds) ms")
            return
        }
        if overLimitSince != nil, isSlowConsumer(now: now) { return }
        if tcp.readPauses.contains(.flowControl) || tcp.readPauses.contains(.memoryBudget) || tcp.readPauses.contains(.rateLimit) {
            // Not reading is the node's doing: the client's heart-beats wait in the socket.
            session.noteReceived(now: now)
        }
        guard checkRate(now: now) else { return }
        if let expiry = session.identity?.expiresAt, node.configuration.tokenExpiryPolicy == "disconnect", node.unixSeconds >= expiry {
            node.counters.tokensExpired += 1
            node.log(refused: self, reason: "token expired")
            terminate("token expired: reconnect with a fresh token", closeCode: WebSocketCloseCode.policyViolation)
            return
        }
        if json != nil {
            applyJSON(json!.session.tick(now: now)[...])
            guard isOpen else { return }
        }
        let actions = session.tick(now: now)
        if !actions.isEmpty {
            if case .send = actions.first { node.log(refused: self, reason: "heart-beat timeout") }
            apply(actions)
        }
    }

    /// Ends the session from the node's side (shutdown, slow consumer, timeout) with an ERROR.
    func terminate(_ message: String, closeCode: UInt16) {
        guard isOpen else { return }
        if closeReason == nil { closeReason = message }
        errorCloseCode = closeCode
        if handshake != nil {
            beginClose()
        } else {
            apply(session.terminate(message))
            if isOpen { beginClose() }
        }
    }

    /// Flushes, sends the WebSocket close frame if upgraded, then closes the socket.
    func beginClose() {
        guard isOpen else { return }
        closingSince = node.now
        node.noteLeaves(session: id)  // presence ends with the session, not when the peer closes the socket
        releaseInput()
        if webSocket != nil {
            let code = sentError ? errorCloseCode : WebSocketCloseCode.normal
            if let frame = webSocket!.close(code: code, reason: "") { tcp.enqueue(frame) }
        }
        tcp.close(afterFlush: true)
    }
}
