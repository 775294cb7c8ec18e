import HTTPWire
import UVLoop

/// A tiny HTTP server on the test's loop: each request is answered by `respond` (nil: never
/// answered, the connection hangs). Real sockets, one request per connection.
final class TestHTTPServer {
    let listener: TCPListener
    private(set) var requests: [HTTPRequest] = []
    private var connections: [ObjectIdentifier: Connection] = [:]
    var respond: (HTTPRequest) -> HTTPResponse?

    var port: Int { listener.port }
    var url: String { "http://127.0.0.1:\(port)" }

    init(loop: EventLoop, respond: @escaping (HTTPRequest) -> HTTPResponse?) throws {
        self.respond = respond
        var accept: ((TCPConnection) -> Void)?
        listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { accept?($0) }
        accept = { [unowned self] tcp in
            let connection = Connection(tcp: tcp, server: self)
            tcp.delegate = connection
            self.connections[ObjectIdentifier(connection)] = connection
        }
    }

    func received(_ request: HTTPRequest, on connection: Connection) {
        requests.append(request)
        guard let response = respond(request) else { return }
        var answer = response
        answer.headers.append(HTTPHeader(name: "Connection", value: "close"))
        connection.tcp.enqueue(answer.encode())
        connection.tcp.close(afterFlush: true)
    }

    func closed(_ connection: Connection) { connections[ObjectIdentifier(connection)] = nil }

    func close() {
        listener.close()
        for connection in connections.values { connection.tcp.close(afterFlush: false) }
    }

    final class Connection: TCPConnectionDelegate {
        let tcp: TCPConnection
        unowned let server: TestHTTPServer
        var parser = HTTPRequestParser(limits: HTTPLimits(maxBodyBytes: 16 << 20))

        init(tcp: TCPConnection, server: TestHTTPServer) {
            self.tcp = tcp
            self.server = server
        }

        func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
            parser.feed(bytes)
            if let request = try? parser.next() { server.received(request, on: self) }
        }

        func connectionDidClose(_ connection: TCPConnection, error: UVError?) { server.closed(self) }
    }
}
