internal import HTTPWire
internal import WebSocketWire
internal import STOMPWire
internal import STOMPSession
internal import Broker
internal import UVLoop

/// One client socket: the protocol stack (raw STOMP, or HTTP upgrade then WebSocket, then STOMP)
/// around a `STOMPSession`. It turns bytes into session events and carries the session's actions
/// out; the node does the broker work. Confined to the loop thread.
final class ClientConnection: TCPConnectionDelegate {
    enum Transport: Equatable {
        case rawSTOMP
        case webSocket
    }

    let tcp: TCPConnection
    unowned let node: Node
    let transport: Transport
    let acceptedAt: UInt64
    var session: STOMPSession
    private var decoder: STOMPDecoder
    /// Until the upgrade request is complete (WebSocket endpoint only).
    private var handshake: HTTPRequestParser?
    private var webSocket: WebSocketConnection?
    /// Set once the connection is on its way out; nothing more is read or delivered.
    private(set) var closingSince: UInt64?
    /// The WebSocket close code that goes with the ERROR being sent.
    private var errorCloseCode: UInt16 = WebSocketCloseCode.policyViolation
    /// An ERROR went out: the WebSocket close carries `errorCloseCode` instead of 1000.
    private var sentError = false
    /// Actions waiting for the cluster to confirm a new interest (e.g. the RECEIPT of a
    /// SUBSCRIBE); input waits too, so frames keep their order.
    private var heldActions: [SessionAction]?

    init(tcp: TCPConnection, node: Node, transport: Transport, sessionID: SessionID, now: UInt64) {
        self.tcp = tcp
        self.node = node
        self.transport = transport
        self.acceptedAt = now
        self.session = STOMPSession(
            id: sessionID, configuration: node.configuration.session,
            endpoint: transport == .webSocket ? "websocket" : "stomp", now: now)
        self.decoder = STOMPDecoder(limits: node.configuration.stomp)
        if transport == .webSocket { handshake = HTTPRequestParser(limits: node.configuration.http) }
    }

    var id: SessionID { session.id }
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
        if handshake != nil {
            readHandshake(bytes)
        } else if webSocket != nil {
            readWebSocket(bytes)
        } else {
            readSTOMP(bytes)
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        node.connectionClosed(self, error: error)
    }

    private func readHandshake(_ bytes: UnsafeRawBufferPointer) {
        handshake!.feed(bytes)
        let request: HTTPRequest
        do {
            guard let complete = try handshake!.next() else { return }
            request = complete
        } catch {
            refuseHandshake(HTTPResponse.jsonError(status: error.status, message: error.message), reason: error.message)
            return
        }
        let leftover = handshake!.takeBufferedBytes()
        handshake = nil
        switch WebSocketHandshake.evaluate(request.head, policy: node.handshakePolicy, sha1: LibCrypto.sha1) {
        case .reject(let response):
            refuseHandshake(response, reason: "websocket handshake refused (\(response.status))")
        case .accept(let response, _):
            tcp.enqueue(response.encode())
            webSocket = WebSocketConnection(role: .server, limits: node.configuration.webSocket)
            if !leftover.isEmpty { leftover.withUnsafeBytes { readWebSocket($0) } }
        }
    }

    private func refuseHandshake(_ response: HTTPResponse, reason: String) {
        node.log(refused: self, reason: reason)
        tcp.enqueue(response.encode())
        beginClose()
    }

    private func readWebSocket(_ bytes: UnsafeRawBufferPointer) {
        webSocket!.feed(bytes)
        while isOpen || webSocket?.state != .closed, let event = webSocket?.nextEvent() {
            switch event {
            case .data(let payload, _):
                guard isOpen else { continue }
                payload.withUnsafeBytes { readSTOMP($0) }
            case .messageEnd:
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

    private func readSTOMP(_ bytes: UnsafeRawBufferPointer) {
        decoder.feed(bytes)
        processDecodedFrames()
    }

    private func processDecodedFrames() {
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
            guard case .frame(let frame)? = event else {
                if event == nil { return }
                continue  // heart-beat: already noted
            }
            node.counters.framesIn += 1
            node.counters.framesInByCommand[frame.command.rawValue, default: 0] += 1
            let actions = session.receive(frame, authenticator: node.authenticator, now: node.now)
            decoder.version = session.version
            apply(actions)
        }
    }

    // MARK: Output

    /// Carries session actions out in order; a refused broker operation turns into an ERROR.
    func apply(_ actions: [SessionAction]) {
        for (index, action) in actions.enumerated() {
            switch action {
            case .send(let frame):
                write(frame)
            case .sendHeartBeat:
                writeRaw([0x0A])
            case .perform(let operation, let receipt):
                do {
                    if try node.perform(operation, receipt: receipt, for: self) == .waitForCluster {
                        heldActions = Array(actions[(index + 1)...])
                        tcp.pauseReading()
                        return
                    }
                } catch {
                    errorCloseCode = WebSocketCloseCode.policyViolation
                    node.log(refused: self, reason: error.message)
                    apply(session.operationFailed(error.message, receipt: receipt))
                    return
                }
            case .close:
                beginClose()
            }
        }
    }

    /// The cluster confirmed the interest: carry out the held actions, then go on reading.
    func resumeAfterCluster() {
        guard let held = heldActions else { return }
        heldActions = nil
        guard isOpen else { return }
        tcp.resumeReading()
        apply(held)
        processDecodedFrames()
    }

    func write(_ frame: STOMPFrame) {
        if frame.command == .ERROR {
            sentError = true
            node.counters.errorsSent += 1
        }
        writeRaw(STOMPEncoder.encode(frame, version: session.version))
        node.counters.framesOut += 1
        node.counters.framesOutByCommand[frame.command.rawValue, default: 0] += 1
    }

    /// Writes STOMP bytes, framed as a WebSocket message when upgraded (text when the bytes are
    /// valid UTF-8, binary otherwise).
    private func writeRaw(_ bytes: [UInt8]) {
        guard isOpen else { return }
        if webSocket != nil {
            let opcode: WebSocketOpcode = UTF8Validator.isValid(bytes) ? .text : .binary
            tcp.enqueue(WebSocketFrameEncoder.frame(opcode: opcode, payload: bytes))
        } else {
            tcp.enqueue(bytes)
        }
        session.noteSent(now: node.now)
    }

    func deliver(_ delivery: Delivery, encoder: inout MessageEncoder) {
        guard isOpen, session.state == .connected else { return }
        if tcp.queuedByteCount > node.configuration.maxOutputBufferBytes {
            node.counters.slowConsumers += 1
            node.log(refused: self, reason: "slow consumer: output buffer limit reached")
            terminate("slow consumer: more than \(node.configuration.maxOutputBufferBytes) bytes waiting to be read",
                      closeCode: WebSocketCloseCode.policyViolation)
            return
        }
        encoder.write(delivery, version: session.version, webSocket: webSocket != nil, to: tcp)
        session.noteSent(now: node.now)
        node.counters.messagesOut += 1
    }

    /// Periodic work: heart-beats, heart-beat and connect timeouts, cutting a stuck close.
    func tick(now: UInt64) {
        if let since = closingSince {
            if now &- since > node.configuration.closeGraceMilliseconds { tcp.close(afterFlush: false) }
            return
        }
        if session.state == .awaitingConnect, now &- acceptedAt > node.configuration.connectTimeoutMilliseconds {
            node.log(refused: self, reason: "no CONNECT within \(node.configuration.connectTimeoutMilliseconds) ms")
            if webSocket == nil && handshake != nil { beginClose() } else { terminate("CONNECT timeout", closeCode: WebSocketCloseCode.policyViolation) }
            return
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
        if webSocket != nil {
            let code = sentError ? errorCloseCode : WebSocketCloseCode.normal
            if let frame = webSocket!.close(code: code, reason: "") { tcp.enqueue(frame) }
        }
        tcp.close(afterFlush: true)
    }
}
