import Foundation
import Glibc
import HTTPWire
import STOMPWire
import WebSocketWire

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking STOMP client over raw TCP or WebSocket, written for tests: every read has a timeout.
final class TestClient {
    enum Transport { case tcp, webSocket(path: String, subprotocols: [String], origin: String?) }

    let fd: Int32
    let isWebSocket: Bool
    var version: STOMPVersion = .v1_2
    private(set) var negotiatedSubprotocol: String?
    private var webSocket = WebSocketConnection(role: .client)
    private var decoder = STOMPDecoder(limits: STOMPLimits(maxFrameBytes: 64 << 20, maxBodyBytes: 64 << 20))
    private var pendingEvents: [STOMPDecoder.Event] = []
    /// Frames set aside while waiting for a receipt; `receive` returns them first.
    private var stashed: [STOMPFrame] = []
    private(set) var closeCodeReceived: UInt16?
    private(set) var peerClosed = false
    /// WebSocket messages received (FIN seen), for tests about framing.
    private(set) var messagesReceived = 0
    private(set) var textMessages = 0
    private(set) var binaryMessages = 0
    private(set) var heartBeatsReceived = 0

    /// Extra request headers of the WebSocket handshake (Authorization, Cookie, …).
    private var handshakeHeaders: [(String, String)] = []

    /// `receiveBufferBytes`: a small kernel receive buffer (set before connecting), for clients
    /// that stop reading and must push back on the node quickly.
    init(port: Int, transport: Transport = .tcp, host: String = "127.0.0.1", receiveBufferBytes: Int32? = nil, handshakeHeaders: [(String, String)] = []) throws {
        self.handshakeHeaders = handshakeHeaders
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw TestClientError(description: "socket: \(errno)") }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw TestClientError(description: "connect to \(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        switch transport {
        case .tcp:
            isWebSocket = false
        case .webSocket(let path, let subprotocols, let origin):
            isWebSocket = true
            let status = try upgrade(path: path, subprotocols: subprotocols, origin: origin)
            guard status == 101 else { throw TestClientError(description: "upgrade refused with \(status)") }
        }
    }

    deinit { close(fd) }

    /// Drops the connection without DISCONNECT, as a client that dies does.
    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    // MARK: Writing

    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Sends bytes as one masked WebSocket message (or raw on TCP).
    func sendMessage(_ bytes: [UInt8], opcode: WebSocketOpcode = .text, fin: Bool = true) throws {
        if isWebSocket {
            try sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: opcode, fin: fin, payload: bytes, maskKey: (1, 2, 3, 4)))
        } else {
            try sendRaw(bytes)
        }
    }

    /// Text when the frame is valid UTF-8 (as browsers send), binary otherwise.
    func send(_ frame: STOMPFrame) throws {
        let bytes = STOMPEncoder.encode(frame, version: version)
        try sendMessage(bytes, opcode: UTF8Validator.isValid(bytes) ? .text : .binary)
    }

    func send(_ command: STOMPCommand, _ headers: [(String, String)] = [], body: String = "") throws {
        try send(STOMPFrame(command, headers: headers, body: Array(body.utf8)))
    }

    // MARK: Reading

    /// Next STOMP frame (heart-beats skipped); throws on timeout or close.
    func receive(timeout: TimeInterval = 5) throws -> STOMPFrame {
        if !stashed.isEmpty { return stashed.removeFirst() }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            while !pendingEvents.isEmpty {
                if case .frame(let frame) = pendingEvents.removeFirst() { return frame }
            }
            if peerClosed { throw TestClientError(description: "connection closed (close code \(closeCodeReceived.map(String.init) ?? "none"))") }
            try readSome(until: deadline)
        }
    }

    /// Receives one frame and asserts its command.
    @discardableResult
    func expect(_ command: STOMPCommand, timeout: TimeInterval = 5) throws -> STOMPFrame {
        let frame = try receive(timeout: timeout)
        guard frame.command == command else {
            throw TestClientError(description: "expected \(command.rawValue), got \(frame.command.rawValue) \(frame.headers) \(String(decoding: frame.body, as: UTF8.self))")
        }
        return frame
    }

    /// Waits until the server closes the connection; returns the WebSocket close code if any.
    @discardableResult
    func waitForClose(timeout: TimeInterval = 5) throws -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while !peerClosed { try readSome(until: deadline) }
        return closeCodeReceived
    }

    /// Frames already received, without waiting.
    func drainFrames() -> [STOMPFrame] {
        defer { pendingEvents.removeAll() }
        return pendingEvents.compactMap { if case .frame(let f) = $0 { f } else { nil } }
    }

    /// True if nothing arrives within the time (used to prove a message is NOT delivered).
    func receivesNothing(within timeout: TimeInterval = 0.3) -> Bool {
        do {
            _ = try receive(timeout: timeout)
            return false
        } catch {
            return !peerClosed
        }
    }

    private func readSome(until deadline: Date) throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw TestClientError(description: "timed out waiting for data") }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(max(1, remaining * 1000)))
        guard ready > 0 else { throw TestClientError(description: "timed out waiting for data") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            peerClosed = true
            return
        }
        consume(Array(buffer[0..<n]))
    }

    private func consume(_ bytes: [UInt8]) {
        guard isWebSocket else { return feedSTOMP(bytes) }
        webSocket.feed(bytes)
        while let event = webSocket.nextEvent() {
            switch event {
            case .data(let payload, let isText):
                if isText { textMessages += 1 } else { binaryMessages += 1 }
                feedSTOMP(payload)
            case .messageEnd:
                messagesReceived += 1
            case .write(let reply):
                try? sendRaw(reply)
            case .closeSocket:
                closeCodeReceived = webSocket.closeCodeReceived
            }
        }
        if let code = webSocket.closeCodeReceived { closeCodeReceived = code }
    }

    private func feedSTOMP(_ bytes: [UInt8]) {
        decoder.feed(bytes)
        while let event = try? decoder.next() {
            if event == .heartbeat { heartBeatsReceived += 1 } else { pendingEvents.append(event) }
        }
    }

    // MARK: Handshake

    private func upgrade(path: String, subprotocols: [String], origin: String?) throws -> Int {
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if !subprotocols.isEmpty { request += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n" }
        if let origin { request += "Origin: \(origin)\r\n" }
        for (name, value) in handshakeHeaders { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try sendRaw(Array(request.utf8))
        let (status, headers, leftover) = try readHTTPResponse()
        negotiatedSubprotocol = headers["sec-websocket-protocol"]
        if !leftover.isEmpty { consume(leftover) }
        return status
    }

    /// Reads an HTTP response head; returns status, lowercased headers and bytes after the head.
    func readHTTPResponse(timeout: TimeInterval = 5) throws -> (Int, [String: String], [UInt8]) {
        let deadline = Date().addingTimeInterval(timeout)
        var data: [UInt8] = []
        let terminator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = data.firstRange(of: terminator) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (Int(statusLine[1]) ?? 0, headers, Array(data[end.upperBound...]))
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else {
                throw TestClientError(description: "timed out reading HTTP response")
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestClientError(description: "closed while reading HTTP response") }
            data += buffer[0..<n]
        }
    }

    /// Raw bytes as they arrive (for HTTP bodies); throws on timeout or EOF.
    func readRaw(timeout: TimeInterval = 5) throws -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { throw TestClientError(description: "timed out reading") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw TestClientError(description: "closed") }
        return Array(buffer[0..<n])
    }

    // MARK: STOMP conveniences

    @discardableResult
    func connect(_ headers: [(String, String)] = [("accept-version", "1.0,1.1,1.2"), ("host", "/")]) throws -> STOMPFrame {
        try send(.CONNECT, headers)
        let connected = try expect(.CONNECTED)
        if let v = connected["version"], let version = STOMPVersion(rawValue: v) { self.version = version }
        return connected
    }

    func subscribe(_ destination: String, id: String, ack: String = "auto", extra: [(String, String)] = []) throws {
        try send(.SUBSCRIBE, [("destination", destination), ("id", id), ("ack", ack), ("receipt", "sub-\(id)")] + extra)
        try awaitReceipt("sub-\(id)")
    }

    /// SEND with a receipt, so that when this returns the broker has routed the message.
    func publish(_ destination: String, _ body: String, headers: [(String, String)] = []) throws {
        let receipt = "send-\(UInt32.random(in: 0...UInt32.max))"
        try send(.SEND, [("destination", destination), ("receipt", receipt)] + headers, body: body)
        try awaitReceipt(receipt)
    }

    /// Reads until the RECEIPT with this id; other frames are kept for later `receive` calls.
    func awaitReceipt(_ id: String, timeout: TimeInterval = 5) throws {
        var others: [STOMPFrame] = []
        defer { stashed = others + stashed }
        while true {
            let frame = try receive(timeout: timeout)
            if frame.command == .RECEIPT, frame["receipt-id"] == id { return }
            if frame.command == .ERROR { throw TestClientError(description: "ERROR: \(frame["message"] ?? "")") }
            others.append(frame)
        }
    }
}
