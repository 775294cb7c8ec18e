public import HTTPWire
public import Logging
public import UVLoop

/// An HTTP listener that answers one request per connection (`Connection: close`): the shape
/// shared by the admin endpoint and the server API. What a request means is the owner's
/// (`handle`); this class owns the sockets, the limits and the deadlines.
///
/// One timer bounds each phase of a connection: receiving the request (else 408), waiting for the
/// handler's answer (else 504), draining the response (else the connection is cut). Answers that
/// arrive after their connection closed are dropped. At most `maxConnections` are open at once;
/// more are answered 503 and closed.
public final class OneRequestServer {
    public typealias Handler = (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void

    private let loop: EventLoop
    private let limits: HTTPLimits
    private let handle: Handler
    private let logger: Logger
    /// Names the listener in log lines and refusals ("admin", "api").
    private let name: String
    /// "admin request", "api request": one constant message per listener.
    private let requestLogMessage: Logger.Message
    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: OneRequestConnection] = [:]

    /// The bound port (the ephemeral one when created with port 0).
    public let port: Int
    public var requestTimeoutMilliseconds: UInt64 = 10_000
    public var maxConnections = 64
    /// After `close()`, connections still open this long are cut.
    public var closeGraceMilliseconds: UInt64 = 1_000
    /// Called with each accepted connection before it is used (e.g. to put TLS under it).
    public var secureConnection: ((TCPConnection) -> Void)?
    public private(set) var isClosed = false
    public var openConnectionCount: Int { connections.count }

    /// Listens on `host:port` (an IP literal or `localhost`); throws the listener's error.
    public init(name: String, loop: EventLoop, host: String, port: Int, limits: HTTPLimits, logger: Logger,
                handle: @escaping Handler) throws {
        self.name = name
        self.requestLogMessage = "\(name) request"
        self.loop = loop
        self.limits = limits
        self.handle = handle
        self.logger = logger
        var accept: ((TCPConnection) -> Void)?
        let bindHost = host.lowercased() == "localhost" ? "127.0.0.1" : host
        let listener = try TCPListener(loop: loop, host: bindHost, port: port) { accept?($0) }
        self.listener = listener
        self.port = listener.port
        accept = { [weak self] tcp in
            guard let self else { return tcp.close(afterFlush: false) }
            self.accept(tcp)
        }
    }

    private func accept(_ tcp: TCPConnection) {
        secureConnection?(tcp)
        guard !isClosed, connections.count < maxConnections else {
            tcp.enqueue(HTTPResponse.jsonError(status: 503, message: "too many \(name) connections").encode())
            tcp.close(afterFlush: true)
            logRequest(method: "-", path: "-", status: 503)
            return
        }
        let connection = OneRequestConnection(
            tcp: tcp, loop: loop, server: self, limits: limits, timeoutMilliseconds: requestTimeoutMilliseconds)
        tcp.delegate = connection
        connections[ObjectIdentifier(connection)] = connection
    }

    fileprivate func received(_ request: HTTPRequest, completion: @escaping (HTTPResponse) -> Void) {
        handle(request, completion)
    }

    fileprivate func connectionDidClose(_ connection: OneRequestConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    fileprivate func logRequest(method: String, path: String, status: Int) {
        logger.debug(requestLogMessage, metadata: [
            "http.method": "\(method)", "http.path": "\(path)", "http.status": "\(status)",
        ])
    }

    /// Stops listening; pending requests get 503, responses in flight may finish within
    /// `closeGraceMilliseconds`, then every handle is closed. Safe to call twice.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) { connection.shutdown(graceMilliseconds: closeGraceMilliseconds) }
    }
}

/// One connection of a `OneRequestServer`: reads one request (body included), answers, closes.
/// Anything after the request is read and dropped until the close.
final class OneRequestConnection: TCPConnectionDelegate {
    enum Phase { case reading, waiting, responded, closed }

    let tcp: TCPConnection
    private weak var server: OneRequestServer?
    private var parser: HTTPRequestParser
    private var timer: Timer?
    private let timeoutMilliseconds: UInt64
    private var phase = Phase.reading
    /// Method and path of the request being answered, for the log line.
    private var method = "-"
    private var path = "-"

    init(tcp: TCPConnection, loop: EventLoop, server: OneRequestServer, limits: HTTPLimits, timeoutMilliseconds: UInt64) {
        self.tcp = tcp
        self.server = server
        self.parser = HTTPRequestParser(limits: limits)
        self.timeoutMilliseconds = timeoutMilliseconds
        let timer = Timer(loop: loop)
        self.timer = timer
        timer.start(afterMilliseconds: timeoutMilliseconds) { [weak self] in self?.timedOut() }
    }

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard phase == .reading else { return }
        parser.feed(bytes)
        let request: HTTPRequest
        do {
            guard let parsed = try parser.next() else { return }
            request = parsed
        } catch {
            respond(HTTPResponse.jsonError(status: error.status, message: error.message))
            return
        }
        phase = .waiting
        method = request.head.method
        path = request.head.path
        server?.received(request) { [weak self] response in
            guard let self, self.phase == .waiting else { return }
            self.respond(response)
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        phase = .closed
        timer?.close()
        timer = nil
        server?.connectionDidClose(self)
    }

    /// Sends the response, closes after it, and gives the drain a deadline.
    private func respond(_ response: HTTPResponse) {
        guard phase == .reading || phase == .waiting else { return }
        phase = .responded
        tcp.enqueue(response.encode())
        tcp.close(afterFlush: true)
        timer?.start(afterMilliseconds: timeoutMilliseconds) { [weak self] in self?.timedOut() }
        server?.logRequest(method: method, path: path, status: response.status)
    }

    private func timedOut() {
        switch phase {
        case .reading: respond(HTTPResponse.jsonError(status: 408, message: "request not received in time"))
        case .waiting: respond(HTTPResponse.jsonError(status: 504, message: "cluster data not available in time"))
        case .responded: tcp.close(afterFlush: false)
        case .closed: break
        }
    }

    /// The server is closing: a pending request gets 503; whatever is still open after
    /// `graceMilliseconds` is cut.
    func shutdown(graceMilliseconds: UInt64) {
        if phase == .reading || phase == .waiting { respond(HTTPResponse.jsonError(status: 503, message: "shutting down")) }
        timer?.start(afterMilliseconds: graceMilliseconds) { [weak self] in self?.tcp.close(afterFlush: false) }
    }
}
