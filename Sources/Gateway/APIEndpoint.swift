internal import HTTPWire
internal import Logging
internal import UVLoop

/// The server HTTP API's listener: one request per connection (`Connection: close`), each phase
/// bounded by one timer (receiving the request 408, waiting for the cluster 504, draining the
/// answer), at most `maxConnections` at once. The same shape as the admin endpoint; what a
/// request means is `ServerAPI`'s and the node's (`handle`).
final class APIEndpoint {
    typealias Handler = (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void

    private let loop: EventLoop
    private let limits: HTTPLimits
    private let handle: Handler
    private let logger: Logger
    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: APIConnection] = [:]
    let port: Int
    var requestTimeoutMilliseconds: UInt64 = 10_000
    var maxConnections = 256
    private(set) var isClosed = false

    init(loop: EventLoop, host: String, port: Int, limits: HTTPLimits, logger: Logger, handle: @escaping Handler) throws {
        self.loop = loop
        self.limits = limits
        self.handle = handle
        self.logger = logger
        var accept: ((TCPConnection) -> Void)?
        let listener = try TCPListener(loop: loop, host: host.lowercased() == "localhost" ? "127.0.0.1" : host, port: port) { accept?($0) }
        self.listener = listener
        self.port = listener.port
        accept = { [weak self] tcp in
            guard let self else { return tcp.close(afterFlush: false) }
            self.accept(tcp)
        }
    }

    private func accept(_ tcp: TCPConnection) {
        guard !isClosed, connections.count < maxConnections else {
            tcp.enqueue(HTTPResponse.jsonError(status: 503, message: "too many API connections").encode())
            tcp.close(afterFlush: true)
            return
        }
        let connection = APIConnection(tcp: tcp, loop: loop, endpoint: self, limits: limits, timeoutMilliseconds: requestTimeoutMilliseconds)
        tcp.delegate = connection
        connections[ObjectIdentifier(connection)] = connection
    }

    func received(_ request: HTTPRequest, completion: @escaping (HTTPResponse) -> Void) {
        handle(request, completion)
    }

    func connectionDidClose(_ connection: APIConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func logRequest(method: String, path: String, status: Int) {
        logger.debug("api request", metadata: ["http.method": "\(method)", "http.path": "\(path)", "http.status": "\(status)"])
    }

    /// Stops listening; pending requests get 503; open connections are cut after a second.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) { connection.shutdown(graceMilliseconds: 1_000) }
    }
}

/// One API connection: reads one request (body included), answers, closes.
final class APIConnection: TCPConnectionDelegate {
    enum Phase { case reading, waiting, responded, closed }

    let tcp: TCPConnection
    private weak var endpoint: APIEndpoint?
    private var parser: HTTPRequestParser
    private var timer: Timer?
    private let timeoutMilliseconds: UInt64
    private var phase = Phase.reading
    private var method = "-"
    private var path = "-"

    init(tcp: TCPConnection, loop: EventLoop, endpoint: APIEndpoint, limits: HTTPLimits, timeoutMilliseconds: UInt64) {
        self.tcp = tcp
        self.endpoint = endpoint
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
        endpoint?.received(request) { [weak self] response in
            guard let self, self.phase == .waiting else { return }
            self.respond(response)
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        phase = .closed
        timer?.close()
        timer = nil
        endpoint?.connectionDidClose(self)
    }

    private func respond(_ response: HTTPResponse) {
        guard phase == .reading || phase == .waiting else { return }
        phase = .responded
        tcp.enqueue(response.encode())
        tcp.close(afterFlush: true)
        timer?.start(afterMilliseconds: timeoutMilliseconds) { [weak self] in self?.timedOut() }
        endpoint?.logRequest(method: method, path: path, status: response.status)
    }

    private func timedOut() {
        switch phase {
        case .reading: respond(HTTPResponse.jsonError(status: 408, message: "request not received in time"))
        case .waiting: respond(HTTPResponse.jsonError(status: 504, message: "cluster data not available in time"))
        case .responded: tcp.close(afterFlush: false)
        case .closed: break
        }
    }

    func shutdown(graceMilliseconds: UInt64) {
        if phase == .reading || phase == .waiting { respond(HTTPResponse.jsonError(status: 503, message: "shutting down")) }
        timer?.start(afterMilliseconds: graceMilliseconds) { [weak self] in self?.tcp.close(afterFlush: false) }
    }
}
