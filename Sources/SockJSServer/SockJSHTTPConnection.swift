internal import UVLoop
internal import HTTPWire
internal import WebSocketWire
internal import SockJSWire

/// One client socket under a SockJS prefix: HTTP requests one after another (keep-alive), each
/// answered from `SockJSPages`, fed to a session (`xhr_send`, `jsonp_send`), or attached to a
/// session as its receiver (a polling or streaming response), or upgraded to the `websocket`
/// transport. Confined to the loop thread.
final class SockJSHTTPConnection: TCPConnectionDelegate, SockJSReceiver {
    let tcp: TCPConnection
    unowned let server: SockJSServer
    let mount: SockJSMount
    private var parser: HTTPRequestParser
    /// The response in progress while a session receives through it.
    private var receiving: (session: SockJSSessionHost, id: SockJSReceiverID)?
    /// The request being answered by `receiving` keeps the connection (HTTP/1.1: chunked).
    private var chunked = true
    private var keepAlive = true
    /// After a `websocket` transport upgrade.
    private var webSocket: WebSocketConnection?
    /// The client's WebSocket message read so far.
    private var message: [UInt8] = []
    /// Waiting for the cluster (who owns a session, a claim): no further request is read.
    var awaitingCluster = false
    /// The request is answered by the node owning its session (see `SockJSHTTPConnection+Relay`).
    var relay: RelayedRequest?
    /// When the relayed request is answered here if its owner stays silent.
    var relayDeadline: UInt64 = .max
    /// The response head of the current receiving request is written.
    var headWritten = false

    /// A request that receives a session's frames, kept while the cluster is asked about it.
    struct ReceivingRequest {
        var head: HTTPRequestHead
        var key: SockJSServer.SessionKey
        var kind: SockJSReceiverKind
        var origin: String?
    }

    /// What is waiting for another node.
    struct RelayedRequest {
        var node: String
        var number: UInt64
        var key: SockJSServer.SessionKey
        /// Nil for a relayed send.
        var receiving: ReceivingRequest?
        var sendTransport: SockJSTransport?
        /// A relayed send's Origin, for its answer's CORS headers.
        var origin: String?
    }

    /// A request is in progress: nothing else is read until it is answered.
    private var busy: Bool { receiving != nil || webSocket != nil || awaitingCluster || relay != nil }

    /// `parser.bufferedByteCount` as last added to the loop's inbound bytes.
    private var inboundHeld = 0
    /// When the last request came or the last response ended (for the idle timeout).
    private var lastActivity: UInt64

    init(tcp: TCPConnection, server: SockJSServer, mount: SockJSMount, now: UInt64) {
        self.tcp = tcp
        self.server = server
        self.mount = mount
        self.parser = HTTPRequestParser(limits: server.limits.http)
        self.lastActivity = now
    }

    /// Neither receiving nor upgraded, and no request for `limit` milliseconds.
    func isIdle(now: UInt64, limit: UInt64) -> Bool {
        !busy && !tcp.isClosing && now &- lastActivity >= limit
    }

    // MARK: Input

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        if webSocket != nil { return readWebSocket(bytes) }
        parser.feed(bytes)
        readRequests()
        noteInboundHeld()
    }

    /// Request bytes read but not yet answered count in the node's budget, as partial frames do.
    private func noteInboundHeld() {
        let held = webSocket == nil && !tcp.isClosing ? parser.bufferedByteCount : 0
        guard held != inboundHeld else { return }
        server.loop.memory.adjustInbound(by: held - inboundHeld)
        inboundHeld = held
    }

    func readRequests() {
        while !busy, !tcp.isClosing {
            do {
                guard let request = try parser.next() else { return }
                handle(request)
            } catch {
                server.noteRequest(refused: true)
                respond(HTTPResponse.jsonError(status: error.status, message: error.message), close: true)
                return
            }
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        server.connectionClosed(self)
        server.loop.memory.adjustInbound(by: -inboundHeld)
        inboundHeld = 0
        if let receiving {
            self.receiving = nil
            receiving.session.detach(receiving.id)
        }
        relayClientGone()
    }

    // MARK: Requests

    func handle(_ request: HTTPRequest) {
        let head = request.head
        lastActivity = server.clock()
        keepAlive = head.keepAlive
        chunked = head.versionMinor >= 1
        let origin = head.header("origin")
        guard head.path.hasPrefix(mount.prefix) else { return refuse(404, "not found", head) }
        let route = SockJSRoute.parse(String(head.path.dropFirst(mount.prefix.count)))
        switch route {
        case .greeting:
            guard head.method == "GET" else { return methodNotAllowed("GET", head) }
            respond(mount.pages.greeting())
        case .info:
            if head.method == "OPTIONS" { return respond(SockJSPages.preflight(methods: "OPTIONS, GET", origin: origin, requestHeaders: head.header("access-control-request-headers"))) }
            guard head.method == "GET" else { return methodNotAllowed("OPTIONS, GET", head) }
            respond(mount.pages.info(entropy: UInt32.random(in: 0...UInt32.max), origin: origin))
        case .iframe:
            guard head.method == "GET" else { return methodNotAllowed("GET", head) }
            respond(mount.pages.iframe(ifNoneMatch: head.header("if-none-match")))
        case .rawWebSocket, .notFound:
            refuse(404, "not found", head)
        case .session(_, let session, let transport):
            let key = SockJSServer.SessionKey(prefix: mount.prefix, session: session)
            if head.method == "OPTIONS", transport.answersOptions {
                return respond(SockJSPages.preflight(methods: "OPTIONS, POST", origin: origin, requestHeaders: head.header("access-control-request-headers")))
            }
            guard head.method == transport.method else { return methodNotAllowed(transport.method, head) }
            switch transport {
            case .xhrSend, .jsonpSend:
                send(request, to: key, transport: transport)
            case .websocket:
                guard mount.pages.webSocketEnabled else { return refuse(404, "the websocket transport is off", head) }
                upgrade(head, key: key)
            default:
                receive(head, key: key, transport: transport)
            }
        }
    }

    /// `xhr_send` / `jsonp_send`: the body's messages go to the session's protocol connection,
    /// here or on the node that owns the session.
    private func send(_ request: HTTPRequest, to key: SockJSServer.SessionKey, transport: SockJSTransport) {
        let origin = request.head.header("origin")
        guard server.sessions[key] != nil || server.cluster != nil else { return refuse(404, "no such session", request.head) }
        var payload = request.body
        if transport == .jsonpSend, request.head.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            guard let form = String(validating: payload, as: UTF8.self), let data = PercentEncoding.parameter("d", in: form) else {
                return protocolError("Payload expected.", origin: origin)
            }
            payload = Array(data.utf8)
        }
        switch SockJSJSON.decodeMessages(payload) {
        case .failure(let error):
            protocolError(error.message, origin: origin)
        case .success(let messages):
            if let host = server.sessions[key] {
                host.receive(messages)
                answerSend(found: true, transport: transport, origin: origin, cookie: sessionCookie(request.head))
            } else {
                relaySend(messages, to: key, transport: transport, origin: origin)
            }
        }
    }

    /// 204 (xhr_send) or 200 "ok" (jsonp_send); 404 when the session is unknown.
    func answerSend(found: Bool, transport: SockJSTransport, origin: String?, cookie: [(String, String)] = []) {
        guard found else {
            server.noteRequest(refused: true)
            return respond(HTTPResponse.jsonError(status: 404, message: "no such session", headers: SockJSPages.cors(origin: origin)), close: true)
        }
        server.noteRequest(refused: false)
        if transport == .xhrSend {
            respond(HTTPResponse(status: 204, headers: [("Content-Type", "text/plain; charset=UTF-8")] + SockJSPages.cors(origin: origin) + SockJSPages.noCache + cookie))
        } else {
            respond(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=UTF-8")] + SockJSPages.noCache + cookie, body: Array("ok".utf8)))
        }
    }

    /// A polling or streaming request: opens the session if new, then receives its frames.
    private func receive(_ head: HTTPRequestHead, key: SockJSServer.SessionKey, transport: SockJSTransport) {
        let origin = head.header("origin")
        var callback: String?
        if transport == .htmlfile || transport == .jsonp {
            callback = head.query.flatMap { PercentEncoding.parameter("c", in: $0) ?? PercentEncoding.parameter("callback", in: $0) }
            guard let name = callback else {
                return protocolError("\"callback\" parameter required", origin: origin)
            }
            guard SockJSReceiverKind.validCallback(name) else {
                return protocolError("invalid \"callback\" parameter", origin: origin)
            }
        }
        guard let kind = SockJSReceiverKind.make(transport, callback: callback) else { return refuse(404, "not found", head) }
        let request = ReceivingRequest(head: head, key: key, kind: kind, origin: origin)
        headWritten = false
        if server.sessions[key] == nil, server.cluster != nil { return findOwner(request) }
        receiveLocally(request)
    }

    /// Attaches to the session on this node, opening it when new.
    func receiveLocally(_ request: ReceivingRequest) {
        switch server.session(for: request.head, key: request.key, mount: mount, peer: tcp.peerAddress) {
        case .failure(let refusal):
            server.noteRequest(refused: true)
            if headWritten { return end() }
            respond(HTTPResponse.jsonError(status: refusal.status, message: refusal.message, headers: SockJSPages.cors(origin: request.origin)), close: true)
        case .success(let host):
            server.noteRequest(refused: false)
            writeHead(request)
            let id = server.makeReceiverID(self)
            receiving = (host, id)
            host.attach(id, kind: request.kind)
        }
    }

    /// The receiving response's head (once per request, wherever its session lives).
    func writeHead(_ request: ReceivingRequest) {
        guard !headWritten else { return }
        headWritten = true
        var headers = [("Content-Type", request.kind.contentType)] + SockJSPages.noCache + sessionCookie(request.head)
        switch request.kind {
        case .jsonpPolling, .htmlFile: break
        default: headers += SockJSPages.cors(origin: request.origin)
        }
        tcp.enqueue(HTTPResponse(status: 200, headers: headers).encodeStreamingHead(chunked: chunked))
    }

    /// The `websocket` transport: SockJS frames as WebSocket text messages, a session of its own.
    private func upgrade(_ head: HTTPRequestHead, key: SockJSServer.SessionKey) {
        let policy = WebSocketHandshakePolicy(paths: [head.path], allowedOrigins: ["*"], subprotocols: [])
        switch WebSocketHandshake.evaluate(head, policy: policy, sha1: server.sha1) {
        case .reject(var response):
            server.noteRequest(refused: true)
            // The SockJS protocol answers a request that is not an upgrade with 400.
            if response.status == 426 { response = HTTPResponse.jsonError(status: 400, message: "Can \"Upgrade\" only to \"WebSocket\".") }
            respond(response, close: true)
        case .accept(let response, _):
            // A websocket session lives as long as its connection and may reuse an id, so it gets
            // a key of its own that no other request can name.
            server.nextWebSocketSession += 1
            let key = SockJSServer.SessionKey(prefix: key.prefix, session: key.session + "#websocket-\(server.nextWebSocketSession)")
            switch server.session(for: head, key: key, mount: mount, peer: tcp.peerAddress) {
            case .failure(let refusal):
                server.noteRequest(refused: true)
                respond(HTTPResponse.jsonError(status: refusal.status, message: refusal.message), close: true)
            case .success(let host):
                server.noteRequest(refused: false)
                tcp.enqueue(response.encode())
                var connection = WebSocketConnection(role: .server, limits: server.webSocketLimits)
                let leftover = parser.takeBufferedBytes()
                if !leftover.isEmpty { connection.feed(leftover) }
                webSocket = connection
                let id = server.makeReceiverID(self)
                receiving = (host, id)
                host.attach(id, kind: .websocket)
                if !leftover.isEmpty { readWebSocket(nil) }
            }
        }
    }

    private func readWebSocket(_ bytes: UnsafeRawBufferPointer?) {
        guard webSocket != nil else { return }
        if let bytes { webSocket!.feed(bytes) }
        while let event = webSocket?.nextEvent() {
            switch event {
            case .data(let payload, _):
                message += payload
            case .messageEnd:
                defer { message = [] }
                if message.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { continue }  // empty: ignored
                guard case .success(let messages) = SockJSJSON.decodeMessages(message) else {
                    // Broken JSON ends the connection at once, as sockjs-node does.
                    if let receiving {
                        self.receiving = nil
                        server.receivers[receiving.id] = nil
                        receiving.session.clientClosed()
                    }
                    tcp.close(afterFlush: false)
                    return
                }
                receiving?.session.receive(messages)
            case .write(let bytes):
                tcp.enqueue(bytes)
            case .closeSocket:
                if let receiving {
                    self.receiving = nil
                    server.receivers[receiving.id] = nil
                    receiving.session.clientClosed()
                }
                tcp.close(afterFlush: true)
                return
            }
        }
    }

    // MARK: Receiver

    func write(_ bytes: [UInt8]) {
        guard !tcp.isClosing else { return }
        if webSocket != nil {
            tcp.enqueue(WebSocketFrameEncoder.frame(opcode: .text, payload: bytes))
        } else {
            tcp.enqueue(chunked ? HTTPResponse.chunk(bytes) : bytes)
        }
    }

    func end() {
        receiving = nil
        relay = nil
        headWritten = false
        lastActivity = server.clock()
        if webSocket != nil {
            if let close = webSocket!.close(code: 1000, reason: "Normal closure") { tcp.enqueue(close) }
            tcp.close(afterFlush: true)
            return
        }
        guard !tcp.isClosing else { return }
        if chunked { tcp.enqueue(HTTPResponse.lastChunk) }
        if !chunked || !keepAlive { return tcp.close(afterFlush: true) }
        readRequests()
    }

    // MARK: Answers

    /// `JSESSIONID` for load balancers that stick on it, on mounts whose `/info` says
    /// `cookie_needed` (the client's own value echoed, else `dummy`, as the protocol asks).
    private func sessionCookie(_ head: HTTPRequestHead) -> [(String, String)] {
        guard mount.pages.cookieNeeded else { return [] }
        let sent = head.header("cookie")?.split(separator: ";").lazy
            .map { $0.drop { $0 == " " } }
            .first { $0.hasPrefix("JSESSIONID=") }
            .map { String($0.dropFirst("JSESSIONID=".count)) }
        return [("Set-Cookie", "JSESSIONID=\(sent ?? "dummy"); path=/")]
    }

    func respond(_ response: HTTPResponse, close: Bool = false) {
        var response = response
        // HTTP/1.0 closes by default: say so when this connection stays open.
        if !chunked, keepAlive, !close { response.headers.append(HTTPHeader(name: "Connection", value: "keep-alive")) }
        tcp.enqueue(response.encode())
        if close || !keepAlive { tcp.close(afterFlush: true) }
    }

    /// The protocol's plain-text 500 (`Payload expected.`, `"callback" parameter required`).
    private func protocolError(_ message: String, origin: String?) {
        server.noteRequest(refused: true)
        respond(SockJSPages.error(message, origin: origin))
    }

    private func refuse(_ status: Int, _ message: String, _ head: HTTPRequestHead) {
        server.noteRequest(refused: true)
        respond(HTTPResponse.jsonError(status: status, message: message, headers: SockJSPages.cors(origin: head.header("origin"))), close: true)
    }

    private func methodNotAllowed(_ allowed: String, _ head: HTTPRequestHead) {
        server.noteRequest(refused: true)
        respond(HTTPResponse(status: 405, headers: [("Allow", allowed)] + SockJSPages.cors(origin: head.header("origin"))))
    }
}
