public import HTTPWire
public import Logging
public import UVLoop
internal import Glibc

/// Why the admin endpoint could not start; `description` is one line for the operator.
public struct AdminEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, naming the host or port concerned.
    public let description: String
}

/// The node's operations HTTP endpoint on its own port: /healthz, /readyz, /metrics and the
/// /admin/* JSON views. Lives on the node's loop; one request per connection.
///
/// /admin/* and /metrics need `Authorization: Bearer <token>` when a token is set; /healthz and
/// /readyz never do (load balancers probe them). Off loopback a token is mandatory.
public final class AdminEndpoint {
    private let loop: EventLoop
    private let limits: HTTPLimits
    private let handler: AdminRequestHandler
    private let logger: Logger
    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: AdminConnection] = [:]

    /// The bound port (the ephemeral one when created with port 0).
    public private(set) var port: Int = 0
    /// Bound on each phase of a connection: receiving the request (else 408), waiting for the data
    /// source (else 504), draining the response (else the connection is cut).
    public var requestTimeoutMilliseconds: UInt64 = 10_000
    /// Admin connections open at once; more are answered 503 and closed.
    public var maxConnections = 64
    /// After `close()`, connections still open this long are cut.
    public var closeGraceMilliseconds: UInt64 = 1_000
    /// Called with each accepted connection before it is used (e.g. to put TLS under it).
    public var secureConnection: ((TCPConnection) -> Void)?
    /// `close()` was called.
    public private(set) var isClosed = false

    /// Admin connections currently open.
    public var openConnectionCount: Int { connections.count }

    /// Listens on `host:port` (an IP literal or `localhost`). Throws `AdminEndpointError` when the
    /// host is not a loopback address and there is no token, or when the port cannot be bound.
    /// The data source is held weakly (the node owns the endpoint).
    public init(
        loop: EventLoop, host: String, port: Int, token: String?, limits: HTTPLimits,
        dataSource: any AdminDataSource, logger: Logger
    ) throws {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        guard token != nil || Self.isLoopback(host) else {
            throw AdminEndpointError(description: "admin endpoint on \(host) needs admin.token")
        }
        self.loop = loop
        self.limits = limits
        self.handler = AdminRequestHandler(token: token, dataSource: dataSource)
        self.logger = logger
        let bindHost = host.lowercased() == "localhost" ? "127.0.0.1" : host
        do {
            let listener = try TCPListener(loop: loop, host: bindHost, port: port) { [weak self] tcp in
                guard let self else { return tcp.close(afterFlush: false) }
                self.accept(tcp)
            }
            self.listener = listener
            self.port = listener.port
        } catch {
            throw AdminEndpointError(description: "admin endpoint cannot listen on \(host):\(port): \(error)")
        }
    }

    private func accept(_ tcp: TCPConnection) {
        secureConnection?(tcp)
        guard !isClosed, connections.count < maxConnections else {
            tcp.enqueue(HTTPResponse.jsonError(status: 503, message: "too many admin connections").encode())
            tcp.close(afterFlush: true)
            logRequest(method: "-", path: "-", status: 503)
            return
        }
        let connection = AdminConnection(
            tcp: tcp, loop: loop, endpoint: self, handler: handler, limits: limits,
            timeoutMilliseconds: requestTimeoutMilliseconds)
        tcp.delegate = connection
        connections[ObjectIdentifier(connection)] = connection
    }

    func connectionDidClose(_ connection: AdminConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func logRequest(method: String, path: String, status: Int) {
        logger.debug("admin request", metadata: [
            "http.method": "\(method)", "http.path": "\(path)", "http.status": "\(status)",
        ])
    }

    /// Stops listening; pending requests get 503, responses in flight may finish within
    /// `closeGraceMilliseconds`, then every admin handle is closed. Safe to call twice.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) {
            connection.shutdown(graceMilliseconds: closeGraceMilliseconds)
        }
    }

    /// 127.0.0.0/8, ::1 (also IPv4-mapped ::ffff:127.x.y.z) and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var literal = Substring(host)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        var v4 = in_addr()
        if inet_pton(AF_INET, String(literal), &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, String(literal), &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        return Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127
    }
}
