internal import HTTPWire
internal import WebSocketWire
internal import WebSocketDeflate
internal import STOMPWire
internal import STOMPSession
internal import UVLoop
internal import Auth
internal import Webhooks
internal import JSONProtocol
internal import SockJSServer

/// The way in: the WebSocket upgrade with its endpoint, token and permessage-deflate, and the
/// CONNECT judged by the endpoint's rules or by a backend's connect hook.
extension ClientConnection {
    func readHandshake(_ bytes: UnsafeRawBufferPointer) {
        handshake!.parser.feed(bytes)
        let request: HTTPRequest
        do {
            guard let complete = try handshake!.parser.next() else { return }
            request = complete
        } catch {
            refuseHandshake(HTTPResponse.jsonError(status: error.status, message: error.message), reason: error.message)
            return
        }
        let leftover = handshake!.parser.takeBufferedBytes()
        handshake = nil
        let routes = webSocketRoutes ?? node.webSocketEndpoints
        if let sockJS = node.sockJS, let mount = routes.sockJSMount(for: request.head) {
            node.handOff(self)
            sockJS.adopt(tcp, request: request, leftover: leftover, mount: mount)
            return
        }
        let route = routes.byPath[request.head.path]
        switch WebSocketHandshake.evaluate(request.head, policy: route?.policy ?? routes.fallback, sha1: LibCrypto.sha1) {
        case .reject(let response):
            refuseHandshake(response, reason: "websocket handshake refused (\(response.status))")
        case .accept(var response, _):
            guard let endpoint = route?.endpoint else { return beginClose() }
            self.endpoint = endpoint
            session.endpoint = endpoint.name
            switch node.access.handshakeIdentity(endpoint: endpoint, query: request.head.query, header: { request.head.header($0) }, now: node.unixSeconds) {
            case .failure(let refusal):
                node.counters.authenticationsRefused += 1
                refuseHandshake(HTTPResponse.jsonError(status: 401, message: refusal.reason), reason: refusal.reason, forwardedFor: request.head)
                return
            case .success(let identity):
                handshakeIdentity = identity
            }
            var inflater: ZlibInflater?
            if let agreement = PerMessageDeflate.negotiate(request.head, policy: node.configuration.perMessageDeflate),
               let made = ZlibInflater(windowBits: agreement.clientMaxWindowBits, resetPerMessage: agreement.clientNoContextTakeover) {
                inflater = made
                compressFrom = node.configuration.perMessageDeflate.minimumBytes
                response.headers.append(HTTPHeader(name: "Sec-WebSocket-Extensions", value: agreement.responseHeader))
            }
            tcp.enqueue(response.encode())
            webSocket = WebSocketConnection(role: .server, limits: node.configuration.webSocket, inflater: inflater)
            readsTextOnly = true
            if endpoint.wireProtocol == .json { startJSON() }
            if endpoint.name == NodeConfiguration.conformanceSockJSCloseEndpoint, let close = webSocket?.close(code: 3000, reason: "Go away!") {
                tcp.enqueue(close)
            }
            if !leftover.isEmpty { leftover.withUnsafeBytes { readWebSocket($0) } }
        }
    }

    func refuseHandshake(_ response: HTTPResponse, reason: String, forwardedFor head: HTTPRequestHead? = nil) {
        if let head { forwardedAddress = node.clientAddress(peer: tcp.peerAddress, head: head) }
        node.log(refused: self, reason: reason)
        tcp.enqueue(response.encode())
        beginClose()
    }

    /// The connect hook answered: the CONNECT goes on with its decision (instead of the
    /// endpoint's own rules), then reading resumes.
    func connectHookAnswered(_ frame: STOMPFrame, _ authenticator: HookDecisionAuthenticator) {
        guard heldActions != nil, isOpen else { return }
        heldActions = nil
        if case .refuse(let reason) = authenticator.decision { node.log(refused: self, reason: "connect hook: \(reason)") }
        tcp.resumeReading()
        receive(frame, authenticator: authenticator)
        processDecodedFrames()
    }

    /// Judges this connection's CONNECT by its endpoint's rules.
    var authenticator: any Authenticator {
        guard let endpoint else { return node.authenticator }
        return EndpointAuthenticator(endpoint: endpoint, access: node.access, handshakeIdentity: handshakeIdentity, now: node.unixSeconds)
    }
}

/// The upgrade request being read; a box so that it costs a connection 8 bytes once upgraded
/// (or on the raw STOMP port) instead of the parser's size inline.
final class HandshakeInProgress {
    var parser: HTTPRequestParser

    init(parser: HTTPRequestParser) {
        self.parser = parser
    }
}
