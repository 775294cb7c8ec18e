internal import UVLoop
internal import WebSocketWire
internal import SockJSWire
internal import SockJSServer

/// The WebSocket endpoints one listener serves, by request path, with their handshake rules.
struct WebSocketRoutes {
    let byPath: [String: (endpoint: EndpointConfiguration, policy: WebSocketHandshakePolicy)]
    /// For a request whose path no endpoint of this listener has: refuses it (404), as its
    /// paths are only this listener's.
    let fallback: WebSocketHandshakePolicy
    /// Endpoints with `sockjs=on`, one mount per path, longest first.
    let sockJSMounts: [SockJSMount]

    init(endpoints: [EndpointConfiguration], configuration: NodeConfiguration, fallback: WebSocketHandshakePolicy) {
        var byPath: [String: (endpoint: EndpointConfiguration, policy: WebSocketHandshakePolicy)] = [:]
        var mounts: [SockJSMount] = []
        for endpoint in endpoints {
            var policy = configuration.handshakePolicy(for: endpoint)
            if endpoint.sockJS {
                // SockJS's raw `<path>/websocket` is the endpoint's plain WebSocket too.
                policy.paths += endpoint.paths.map { $0 + "/websocket" }
                let pages = SockJSPages(clientScriptURL: configuration.sockJS.clientScriptURL,
                                        webSocketEnabled: configuration.sockJS.webSocketTransport)
                mounts += endpoint.paths.map {
                    SockJSMount(prefix: $0, endpointName: endpoint.name, pages: pages, carriesJSON: endpoint.wireProtocol == .json)
                }
            }
            for path in policy.paths { byPath[path] = (endpoint, policy) }
        }
        if let top = configuration.conformanceSockJSPath, endpoints.contains(where: { $0.name == "conformance-sockjs" }) {
            mounts += Self.conformanceSockJSMounts(under: top, clientScriptURL: configuration.sockJS.clientScriptURL)
        }
        self.byPath = byPath
        self.fallback = fallback
        self.sockJSMounts = mounts.sorted { $0.prefix.count > $1.prefix.count }
    }
}

extension WebSocketRoutes {
    /// The services the sockjs-protocol test suite expects under its base URL.
    static func conformanceSockJSMounts(under top: String, clientScriptURL: String) -> [SockJSMount] {
        let pages = SockJSPages(clientScriptURL: clientScriptURL)
        return [
            SockJSMount(prefix: top + "/echo", endpointName: "conformance-sockjs", pages: pages, behavior: .echo),
            SockJSMount(prefix: top + "/close", endpointName: "conformance-sockjs", pages: pages, behavior: .close),
            SockJSMount(prefix: top + "/disabled_websocket_echo", endpointName: "conformance-sockjs",
                        pages: SockJSPages(clientScriptURL: clientScriptURL, webSocketEnabled: false), behavior: .echo),
            SockJSMount(prefix: top + "/cookie_needed_echo", endpointName: "conformance-sockjs",
                        pages: SockJSPages(clientScriptURL: clientScriptURL, cookieNeeded: true), behavior: .echo),
        ]
    }
}

/// Endpoints on a port of their own (`port=` in `listen.endpoints`): one listener each, on
/// `listen.host`, serving only that endpoint's paths, with TLS when the endpoint says `tls=on`.
/// The shared listener does not serve their paths, so an endpoint meant for TLS is never
/// reachable in plain text on another port.
extension Node {
    func startEndpointListeners() throws {
        for endpoint in configuration.effectiveEndpoints where endpoint.kind == .webSocket {
            guard let port = endpoint.port else { continue }
            let routes = WebSocketRoutes(endpoints: [endpoint], configuration: configuration,
                                         fallback: configuration.handshakePolicy(for: endpoint))
            let listenerName = "endpoint:" + endpoint.name
            endpointListeners[endpoint.name] = try TCPListener(loop: loop, host: configuration.host, port: port) { [unowned self] tcp in
                if endpoint.tls { self.secure(tcp, listener: listenerName) }
                self.accept(tcp, transport: .webSocket, routes: routes)
            }
        }
    }

    /// The port an endpoint's own listener is bound to; nil for endpoints on the shared listener.
    public func endpointPort(_ name: String) -> Int? { endpointListeners[name]?.port }
}
