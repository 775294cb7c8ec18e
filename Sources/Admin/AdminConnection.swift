internal import HTTPWire
internal import UVLoop

/// One admin HTTP connection: reads one request, answers it, closes (`Connection: close`).
///
/// One timer bounds each phase: waiting for the request (408), for the data source (504) and for
/// the response to drain (then the connection is cut). Completions that arrive after the
/// connection closed are dropped.
final class AdminConnection: TCPConnectionDelegate {
    enum Phase {
        case readingRequest
        case awaitingData
        case responded
        case closed
    }

    let tcp: TCPConnection
    private weak var endpoint: AdminEndpoint?
    private let handler: AdminRequestHandler
    private var parser: HTTPRequestParser
    private var timer: Timer?
    private let timeoutMilliseconds: UInt64
    private(set) var phase = Phase.readingRequest
    /// Method and path of the request being answered, for the log line.
    private var method = "-"
    private var path = "-"

    init(tcp: TCPConnection, loop: EventLoop, endpoint: AdminEndpoint, handler: AdminRequestHandler,
         limits: HTTPLimits, timeoutMilliseconds: UInt64) {
        self.tcp = tcp
        self.endpoint = endpoint
        self.handler = handler
        self.parser = HTTPRequestParser(limits: limits)
        self.timeoutMilliseconds = timeoutMilliseconds
        let timer = Timer(loop: loop)
        self.timer = timer
        timer.start(afterMilliseconds: timeoutMilliseconds) { [weak self] in self?.timedOut() }
    }

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        // One request per connection: anything after it is read and dropped until the close.
        guard phase == .readingRequest else { return }
        parser.feed(bytes)
        let request: HTTPRequest
        do {
            guard let parsed = try parser.next() else { return }
            request = parsed
        } catch {
            respond(HTTPResponse.jsonError(status: error.status, message: error.message))
            return
        }
        phase = .awaitingData
        method = request.head.method
        path = request.head.path
        handler.handle(request.head) { [weak self] response in
            guard let self, self.phase == .awaitingData else { return }
            self.respond(response)
        }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        phase = .closed
        timer?.close()
        timer = nil
        endpoint?.connectionDidClose(self)
    }

    /// Sends the response, closes after it, and gives the drain a deadline.
    private func respond(_ response: HTTPResponse) {
        guard phase == .readingRequest || phase == .awaitingData else { return }
        phase = .responded
        tcp.enqueue(response.encode())
        tcp.close(afterFlush: true)
        timer?.start(afterMilliseconds: timeoutMilliseconds) { [weak self] in self?.timedOut() }
        endpoint?.logRequest(method: method, path: path, status: response.status)
    }

    private func timedOut() {
        switch phase {
        case .readingRequest:
            respond(HTTPResponse.jsonError(status: 408, message: "request not received in time"))
        case .awaitingData:
            respond(HTTPResponse.jsonError(status: 504, message: "cluster data not available in time"))
        case .responded:
            tcp.close(afterFlush: false)
        case .closed:
            break
        }
    }

    /// The endpoint is closing: a pending request gets 503, and whatever is still open after
    /// `graceMilliseconds` is cut.
    func shutdown(graceMilliseconds: UInt64) {
        if phase == .readingRequest || phase == .awaitingData {
            respond(HTTPResponse.jsonError(status: 503, message: "shutting down"))
        }
        timer?.start(afterMilliseconds: graceMilliseconds) { [weak self] in self?.tcp.close(afterFlush: false) }
    }
}
