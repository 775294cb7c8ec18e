public import HTTPWire
internal import HTTPServer
public import Logging
public import UVLoop
internal import Glibc

/// Why the admin endpoint could not start; `description` is one line for the operator.
public struct AdminEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, naming the host or port concerned.
    public let description: String
}

/// The node's operations HTTP endpoint on its own port: /healthz, /readyz, /metrics and the
/// /admin/* JSON views. Lives on the node's loop; one request per connection (`OneRequestServer`).
///
/// /admin/* and /metrics need `Authorization: Bearer <token>` when a token is set; /healthz and
/// /readyz never do (load balancers probe them). Off loopback a token is mandatory.
public final class AdminEndpoint {
    private let server: OneRequestServer

    /// The bound port (the ephemeral one when created with port 0).
    public var port: Int { server.port }
    /// Bound on each phase of a connection: receiving the request (else 408), waiting for the data
    /// source (else 504), draining the response (else the connection is cut).
    public var requestTimeoutMilliseconds: UInt64 {
        get { server.requestTimeoutMilliseconds }
        set { server.requestTimeoutMilliseconds = newValue }
    }
    /// Admin connections open at once; more are answered 503 and closed.
    public var maxConnections: Int {
        get { server.maxConnections }
        set { server.maxConnections = newValue }
    }
    /// After `close()`, connections still open this long are cut.
    public var closeGraceMilliseconds: UInt64 {
        get { server.closeGraceMilliseconds }
        set { server.closeGraceMilliseconds = newValue }
    }
    /// Called with each accepted connection before it is used (e.g. to put TLS under it).
    public var secureConnection: ((TCPConnection) -> Void)? {
        get { server.secureConnection }
        set { server.secureConnection = newValue }
    }
    /// `close()` was called.
    public var isClosed: Bool { server.isClosed }
    /// Admin connections currently open.
    public var openConnectionCount: Int { server.openConnectionCount }

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
        let handler = AdminRequestHandler(token: token, dataSource: dataSource)
        do {
            server = try OneRequestServer(name: "admin", loop: loop, host: host, port: port, limits: limits, logger: logger) {
                request, respond in handler.handle(request.head, respond: respond)
            }
        } catch {
            throw AdminEndpointError(description: "admin endpoint cannot listen on \(host):\(port): \(error)")
        }
    }

    /// Stops listening; pending requests get 503, responses in flight may finish within
    /// `closeGraceMilliseconds`, then every admin handle is closed. Safe to call twice.
    public func close() { server.close() }

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
