internal import WebSocketWire
internal import STOMPWire
internal import STOMPSession
internal import Broker
internal import UVLoop
internal import Auth
internal import JSONProtocol
internal import Webhooks

/// The plain JSON WebSocket protocol (`protocol=json` endpoints): the connection is a session
/// like a STOMP one (same identity, authorization, router tables and cluster), driven by
/// `JSONSession` instead of STOMP frames. Its CONNECT is made up from the handshake's identity.
extension ClientConnection {
    /// Right after the upgrade: authenticate as a CONNECT without credentials would (the
    /// handshake's token or `user_id` decides), then subscribe the user's own destinations.
    func startJSON() {
        receive(STOMPFrame(.CONNECT, headers: [("accept-version", "1.2"), ("host", "stampede")]), authenticator: authenticator)
        guard isOpen, session.state == .connected else { return }
        var settings = node.configuration.jsonProtocol
        if transport == .sockJS {
            // SockJS has its own heart-beats and session timeout; its clients send no pongs.
            settings.pingIntervalMilliseconds = .max
            settings.pongTimeoutMilliseconds = .max
        }
        let state = JSONConnectionState(session: JSONSession(
            settings: settings, user: session.identity?.user, presenceSuffix: node.configuration.presenceSuffix, now: node.now))
        json = state
        applyJSON(state.session.start(session: String(id))[...])
    }

    /// A piece of a WebSocket message: text is collected up to `json.max-message-bytes`.
    func collectJSON(_ payload: [UInt8], isText: Bool) {
        guard let json else { return }
        json.messageIsBinary = !isText
        guard !json.messageTooBig else { return }
        if json.message.count + payload.count > json.session.settings.maxMessageBytes {
            json.messageTooBig = true
            json.message = []
        } else {
            json.message.append(contentsOf: payload)
        }
    }

    /// A SockJS session's JSON texts, each ended by a NUL byte (the SockJS side adds them).
    func readJSONStream(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0 {
            collectJSON(Array(bytes[start..<index]), isText: true)
            finishJSONMessage()
            start = index + 1
            guard isOpen else { return }
        }
        if start < bytes.count { collectJSON(Array(bytes[start...]), isText: true) }
    }

    /// The message is complete: it goes to the session now, or waits while the cluster
    /// confirms a subscription (messages keep their order).
    func finishJSONMessage() {
        guard let json else { return }
        let message = JSONInput(text: json.message, tooBig: json.messageTooBig, binary: json.messageIsBinary)
        json.message = []
        json.messageTooBig = false
        json.messageIsBinary = false
        if heldActions != nil {
            json.waiting.append(message)
        } else {
            handleJSON(message)
        }
    }

    func handleJSON(_ message: JSONInput) {
        guard isOpen, let json else { return }
        let now = node.now
        node.counters.framesIn += 1
        if let rateLimits, rateLimits.frames != nil, !rateLimits.frames!.take(1, now: now, force: true) { overRate(now: now) }
        let actions: [JSONAction]
        if message.binary {
            actions = json.session.receiveBinary(now: now)
        } else if message.tooBig {
            actions = json.session.receiveTooBig(now: now)
        } else {
            actions = json.session.receive(message.text, now: now)
        }
        applyJSON(actions[...])
    }

    /// Carries the session's actions out in order; broker refusals end the connection with
    /// the ERROR's message as a JSON error and close 1008, as a STOMP session is ended.
    func applyJSON(_ actions: ArraySlice<JSONAction>) {
        for index in actions.indices {
            guard isOpen else { return }
            let operation: BrokerOperation
            switch actions[index] {
            case .send(let text):
                writeJSON(text)
                continue
            case .ping:
                guard transport != .sockJS else { continue }
                tcp.beginFrame()
                tcp.enqueue(WebSocketFrameEncoder.frame(opcode: .ping, payload: []))
                continue
            case .close(let code, let reason):
                if code != WebSocketCloseCode.normal {
                    sentError = true
                    errorCloseCode = code
                    node.log(refused: self, reason: reason)
                }
                if closeReason == nil { closeReason = reason }
                beginClose()
                return
            case .subscribe(let id, let destination):
                operation = .subscribe(id: id, destination: destination, ackMode: .auto, prefetch: nil)
            case .unsubscribe(let id):
                operation = .unsubscribe(id: id)
            case .publish(let destination, let headers, let body):
                operation = .send(destination: destination, headers: headers, body: body)
            }
            do {
                let outcome = try node.perform(operation, for: self)
                if case .subscribe(let id, let destination, _, _) = operation {
                    node.notifySessionEvent(.subscribe(destination: destination, subscription: id), self)
                }
                if outcome == .waitForCluster {
                    heldActions = []
                    json?.held = Array(actions[(index + 1)...])
                    tcp.pauseReading()
                    return
                }
            } catch {
                // The automatic subscriptions follow the rules too, but a refusal only means this
                // session gets no direct messages (or broadcasts); it is not the client's doing.
                if case .subscribe(let id, _, _, _) = operation, id == JSONSession.userSubscription || id == JSONSession.broadcastSubscription {
                    node.log(refused: self, reason: error.message)
                    continue
                }
                errorCloseCode = WebSocketCloseCode.policyViolation
                node.log(refused: self, reason: error.message)
                apply(session.operationFailed(error.message, receipt: nil))
                return
            }
        }
    }

    /// The cluster confirmed the interest: the rest of the actions, then the messages that waited.
    func resumeJSON() {
        guard let json else { return }
        let held = json.held
        json.held = []
        applyJSON(held[...])
        while heldActions == nil, isOpen, !json.waiting.isEmpty {
            handleJSON(json.waiting.removeFirst())
        }
    }

    /// What the STOMP session would send, as the JSON client sees it: an ERROR becomes a JSON
    /// error (the close that follows carries `errorCloseCode`); CONNECTED and RECEIPT stay inside.
    func writeJSONFrame(_ frame: STOMPFrame) {
        switch frame.command {
        case .ERROR:
            sentError = true
            node.counters.errorsSent += 1
            let message = frame["message"] ?? "error"
            if closeReason == nil { closeReason = message }
            writeJSON(JSONSession.errorText(JSONProtocolError("refused", message), settings: node.configuration.jsonProtocol))
        case .CONNECTED:
            didConnect = true
            node.logSessionConnected(self)
        default:
            return
        }
    }

    func writeJSON(_ text: [UInt8]) {
        guard isOpen else { return }
        tcp.beginFrame()
        // Over SockJS's stream each JSON text ends with a NUL (see `SockJSMount.carriesJSON`).
        tcp.enqueue(transport == .sockJS ? text + [0] : WebSocketFrameEncoder.frame(opcode: .text, payload: text))
        node.counters.framesOut += 1
        session.noteSent(now: node.now)
    }

    /// One delivery as a JSON text message: encoded once per publication and destination (and
    /// recipient, for direct messages, whose `to` names them), then shared by reference by every
    /// JSON subscriber of it, as STOMP subscribers share a MESSAGE's tail.
    func deliverJSON(_ delivery: Delivery, now: UInt64) -> Int? {
        let frame = node.jsonFrames.frame(for: delivery, recipient: json!.session.user, settings: json!.session.settings,
                                          presenceSuffix: json!.session.presenceSuffix, overSockJS: transport == .sockJS)
        tcp.beginFrame()
        tcp.enqueue(frame)
        session.noteSent(now: now)
        return tcp.heldOutputBytes
    }
}

/// A JSON connection's protocol state and the message in progress.
final class JSONConnectionState {
    var session: JSONSession
    /// The message being received, and whether it is too big (its bytes dropped) or binary.
    var message: [UInt8] = []
    var messageTooBig = false
    var messageIsBinary = false
    /// Actions and messages waiting, like `heldActions`, for the cluster to confirm a subscription.
    var held: [JSONAction] = []
    var waiting: [JSONInput] = []

    init(session: JSONSession) {
        self.session = session
    }
}

/// One complete client message of a JSON connection.
struct JSONInput {
    var text: [UInt8]
    var tooBig: Bool
    var binary: Bool
}

/// The last publication's JSON message as a WebSocket frame, reused for each of its JSON
/// subscribers (one entry: deliveries of one publication come one after another). Holding the
/// publication keeps its identity from being reused by a later one while it is cached.
struct JSONFrameCache {
    private var publication: Publication?
    private var destination = ""
    private var recipient: String?
    private var text: [UInt8] = []
    /// The text as a WebSocket frame, and NUL-ended for SockJS sessions: each made when first asked for.
    private var frame: SharedBytes?
    private var streamed: SharedBytes?

    mutating func frame(for delivery: Delivery, recipient user: String?, settings: JSONProtocolSettings, presenceSuffix: String?,
                        overSockJS: Bool = false) -> SharedBytes {
        // Only a direct message's JSON depends on who receives it.
        let recipient = delivery.destination == "/user" + settings.userDestination ? user : nil
        if publication !== delivery.publication || destination != delivery.destination || self.recipient != recipient {
            let publication = delivery.publication
            text = JSONMessageEncoder.encode(destination: delivery.destination, headers: publication.headers, body: publication.body,
                                             recipient: user, settings: settings, presenceSuffix: presenceSuffix)
            (self.publication, destination, self.recipient, frame, streamed) = (publication, delivery.destination, recipient, nil, nil)
        }
        if overSockJS {
            if streamed == nil { streamed = SharedBytes(text + [0]) }
            return streamed!
        }
        if frame == nil { frame = SharedBytes(WebSocketFrameEncoder.frame(opcode: .text, payload: text)) }
        return frame!
    }
}
