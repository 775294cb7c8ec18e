import STOMPWire
import UVLoop
import TLS
import WebSocketWire
import WebSocketDeflate

/// How a benchmark client reaches the node.
enum Transport: String, CaseIterable {
    /// STOMP over WebSocket (`ws://host:port/path`), frames masked as a browser masks them.
    case ws
    /// Raw STOMP over TCP.
    case tcp
    /// The plain JSON WebSocket protocol (receivers; publishers speak STOMP over WebSocket).
    case json

    /// Over a WebSocket (STOMP or JSON inside).
    var isWebSocket: Bool { self != .tcp }
}

/// Where and how benchmark clients connect; shared by every connection of a run.
struct ClientSettings {
    var transport: Transport
    /// IP literal of the node.
    var host: String
    var port: Int
    var webSocketPath: String
    var login: String?
    var passcode: String?
    /// Client TLS context when connecting with `--tls`.
    var tls: TLSContext? = nil
    /// Offer permessage-deflate (`--deflate`) and inflate what the node compresses.
    var deflate = false
    /// MESSAGE frames reach the handler as their bodies only, cut from the input without
    /// decoding headers: receiving must cost the load generator less than delivering costs the
    /// node, or the generator is what a fan-out run measures (issue 13).
    var messageBodiesOnly = false

    /// Publishers of a JSON run speak STOMP over WebSocket on `publisherPath`.
    func publishing(on publisherPath: String) -> ClientSettings {
        guard transport == .json else { return self }
        var settings = self
        settings.transport = .ws
        settings.webSocketPath = publisherPath
        return settings
    }
}

/// What a scenario hears from its connections, on the loop thread.
protocol BenchConnectionHandler: AnyObject {
    /// CONNECTED arrived: the connection may SUBSCRIBE and SEND.
    func connectionReady(_ connection: BenchConnection)
    /// A frame after CONNECTED. `now` is the time the read that carried it was handled.
    func connection(_ connection: BenchConnection, received frame: STOMPFrame, now: UInt64)
    /// The body of a MESSAGE after CONNECTED (`messageBodiesOnly`), valid during the call only.
    func connection(_ connection: BenchConnection, receivedMessageBody body: UnsafeRawBufferPointer, now: UInt64)
    /// One read's frames were all handled (a good moment to send more).
    func connectionDidProcessInput(_ connection: BenchConnection)
    /// The connection is gone; `wasReady` tells whether CONNECTED had arrived. `reason` is nil for a close of ours.
    func connectionClosed(_ connection: BenchConnection, wasReady: Bool, reason: String?)
}

/// One benchmark client: TCP connect, optional WebSocket upgrade, STOMP CONNECT, then frames
/// both ways. A small state machine around the project's own codecs, driven by the loop.
final class BenchConnection: TCPConnectionDelegate {
    enum Phase {
        case connecting, upgrading, stompConnecting, ready, closed
    }

    /// Position of this connection in its scenario's list.
    let index: Int
    /// Free for the scenario (e.g. "subscribed").
    var tag = 0
    private let settings: ClientSettings
    /// Strong (a weak load per frame showed in profiles); cleared when the connection finishes,
    /// which breaks the cycle with the pool. `@exclusivity(unchecked)` here and below: loop-thread
    /// state read per message, never accessed overlapping (see MessagingRun).
    @exclusivity(unchecked) private var handler: (any BenchConnectionHandler)?
    @exclusivity(unchecked) private var tcp: TCPConnection?
    @exclusivity(unchecked) private(set) var phase = Phase.connecting
    private var closeReason: String?
    /// `close()` came while the TCP connect was pending; the completion finishes the job.
    private var closeRequested = false
    @exclusivity(unchecked) private var webSocket = WebSocketConnection(role: .client)
    @exclusivity(unchecked) private var decoder = STOMPDecoder(limits: STOMPLimits(maxFrameBytes: 16 << 20, maxBodyBytes: 16 << 20))
    /// Finds frame boundaries first; only frames whose headers matter go to `decoder`.
    @exclusivity(unchecked) private var splitter = STOMPFrameSplitter()
    /// Receives each WebSocket payload, so reading a message allocates nothing.
    @exclusivity(unchecked) private var payloadScratch: [UInt8] = []
    /// Reused for every masked frame this connection sends (empty until it sends one).
    @exclusivity(unchecked) private var maskedFrame: [UInt8] = []
    private var responseHead: [UInt8] = []
    private var maskState: UInt32
    /// JSON transport: the text message being read, and the receipt the last SUBSCRIBE asked for.
    private var jsonMessage: [UInt8] = []
    private var jsonReceipt: String?

    init(index: Int, settings: ClientSettings, handler: any BenchConnectionHandler) {
        self.index = index
        self.settings = settings
        self.handler = handler
        self.maskState = UInt32(truncatingIfNeeded: index &* 2_654_435_761) | 1
    }

    /// Opens the TCP connection from `source` (nil: the kernel picks).
    func start(loop: EventLoop, source: String?) {
        TCPConnection.connect(loop: loop, host: settings.host, port: settings.port, sourceAddress: source) { [self] result in
            switch result {
            case .success(let connection):
                guard !closeRequested else {
                    connection.close(afterFlush: false)
                    finish(reason: nil)
                    return
                }
                tcp = connection
                connection.delegate = self
                if let context = settings.tls {
                    connection.secure(with: TLSSecurityLayer(session: context.makeSession()))
                }
                if settings.transport.isWebSocket {
                    phase = .upgrading
                    connection.enqueue(Array(upgradeRequest().utf8))
                } else {
                    sendConnectFrame()
                }
            case .failure(let error):
                finish(reason: "connect: \(error.name)")
            }
        }
    }

    /// Bytes still queued toward the node (back-pressure for publishers).
    var queuedByteCount: Int { tcp?.queuedByteCount ?? 0 }

    /// Sends an encoded STOMP frame (wrapped in a masked text frame over WebSocket).
    func send(encoded bytes: [UInt8]) {
        guard let tcp, phase == .ready || phase == .stompConnecting else { return }
        switch settings.transport {
        case .tcp:
            tcp.enqueue(bytes)
        case .ws, .json:
            // Masked into one reused buffer and copied out (an array per frame was allocated and freed).
            maskedFrame.removeAll(keepingCapacity: true)
            bytes.withUnsafeBytes {
                WebSocketFrameEncoder.appendMaskedFrame(opcode: .text, fin: true, payload: $0, maskKey: nextMaskKey(), to: &maskedFrame)
            }
            maskedFrame.withUnsafeBytes { tcp.enqueue(copying: $0) }
        }
    }

    /// Encodes and sends a frame (as its JSON counterpart on the JSON transport).
    func send(_ frame: STOMPFrame) {
        guard settings.transport == .json else { return send(encoded: STOMPEncoder.encode(frame, version: .v1_2)) }
        guard let text = JSONBenchMessages.text(for: frame) else { return }
        jsonReceipt = frame["receipt"]
        send(encoded: Array(text.utf8))
    }

    /// Closes: gracefully (queued bytes first, then FIN) unless `immediately`.
    func close(immediately: Bool = false) {
        if phase == .connecting {
            closeRequested = true
            return
        }
        tcp?.close(afterFlush: !immediately)
    }

    // MARK: - TCPConnectionDelegate

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        let now = MonotonicClock.now()
        switch phase {
        case .upgrading:
            readResponseHead(bytes, now: now)
        case .stompConnecting, .ready:
            if settings.transport.isWebSocket {
                webSocket.feed(bytes)
                drainWebSocket(now: now)
            } else {
                readSTOMP(bytes, now: now)
            }
        case .connecting, .closed:
            return
        }
        if phase == .ready { handler?.connectionDidProcessInput(self) }
    }

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        tcp = nil
        finish(reason: closeReason ?? error.map { "\($0.name)" } ?? (phase == .ready ? nil : "closed during setup"))
    }

    // MARK: - Handshakes

    private func upgradeRequest() -> String {
        // A fixed key is enough here: the node only checks that it is 16 bytes in base64.
        let json = settings.transport == .json
        let path = json ? settings.webSocketPath + (settings.webSocketPath.contains("?") ? "&" : "?") + "user_id=bench-\(index)" : settings.webSocketPath
        return "GET \(path) HTTP/1.1\r\nHost: \(settings.host):\(settings.port)\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c3RhbXBlZGUtYmVuY2gtMQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n" + (json ? "" : "Sec-WebSocket-Protocol: v12.stomp, v11.stomp, v10.stomp\r\n")
            + (settings.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n" : "")
            + "\r\n"
    }

    private func readResponseHead(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        responseHead.append(contentsOf: bytes)
        guard let end = headEnd(responseHead) else {
            if responseHead.count > 16 * 1024 { fail("upgrade response head over 16 KiB") }
            return
        }
        let statusLine = responseHead.prefix { $0 != 13 && $0 != 10 }
        guard statusLine.starts(with: Array("HTTP/1.1 101".utf8)) else {
            fail("upgrade refused: \(String(decoding: statusLine, as: UTF8.self))")
            return
        }
        if settings.deflate {
            // The node always answers server_no_context_takeover: every message inflates on its own.
            let head = String(decoding: responseHead[..<end], as: UTF8.self).lowercased()
            guard head.contains("sec-websocket-extensions: permessage-deflate"), let inflater = ZlibInflater(windowBits: 15, resetPerMessage: true) else {
                fail("the node declined permessage-deflate (is websocket.permessage-deflate.enabled on?)")
                return
            }
            webSocket = WebSocketConnection(role: .client, inflater: inflater)
        }
        let leftover = Array(responseHead[end...])
        responseHead = []
        if settings.transport == .json {
            phase = .stompConnecting  // until the node's welcome
        } else {
            sendConnectFrame()
        }
        if !leftover.isEmpty {
            webSocket.feed(leftover)
            drainWebSocket(now: now)
        }
    }

    /// Index just past the blank line ending an HTTP head.
    private func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    private func sendConnectFrame() {
        phase = .stompConnecting
        var headers = [("accept-version", "1.2"), ("host", "/"), ("heart-beat", "0,0")]
        if let login = settings.login { headers.append(("login", login)) }
        if let passcode = settings.passcode { headers.append(("passcode", passcode)) }
        send(STOMPFrame(.CONNECT, headers: headers))
    }

    // MARK: - Input

    private func drainWebSocket(now: UInt64) {
        while let event = webSocket.nextEvent(reusing: &payloadScratch) {
            switch consume event {
            case .data(let payload, _):
                if settings.transport == .json {
                    jsonMessage += payload
                } else {
                    payload.withUnsafeBytes { readSTOMP($0, now: now) }
                }
                payloadScratch = payload  // back for the next message
            case .messageEnd:
                if settings.transport == .json { readJSONMessage(now: now) }
            case .write(let bytes):
                tcp?.enqueue(bytes)
            case .closeSocket:
                closeReason = closeReason ?? "WebSocket close \(webSocket.closeCodeReceived.map(String.init) ?? "without code")"
                tcp?.close()
            }
            if phase == .closed { return }
        }
    }

    /// Cuts STOMP input into frames: MESSAGE bodies go straight to the handler when only they
    /// matter, every other frame through the decoder.
    private func readSTOMP(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        splitter.split(bytes) { piece in
            guard phase == .stompConnecting || phase == .ready, piece.bodyStart != nil else { return }  // heart-beat, or closed
            if settings.messageBodiesOnly, phase == .ready, let body = piece.messageBody {
                handler?.connection(self, receivedMessageBody: body, now: now)
                return
            }
            decoder.feed(piece.bytes)
            drainSTOMP(now: now)
        }
        if splitter.bufferedByteCount > 16 << 20 { fail("STOMP: frame over 16 MiB") }
    }

    private func drainSTOMP(now: UInt64) {
        do {
            while let event = try decoder.next() {
                guard case .frame(let frame) = event else { continue }
                switch phase {
                case .stompConnecting:
                    if frame.command == .CONNECTED {
                        phase = .ready
                        handler?.connectionReady(self)
                    } else {
                        fail("\(frame.command.rawValue) instead of CONNECTED: \(frame["message"] ?? "")")
                        return
                    }
                case .ready:
                    if frame.command == .ERROR { closeReason = "ERROR: \(frame["message"] ?? "")" }
                    handler?.connection(self, received: frame, now: now)
                default:
                    return
                }
            }
        } catch {
            fail("STOMP: \(error.message)")
        }
    }

    private func readJSONMessage(now: UInt64) {
        let message = jsonMessage
        jsonMessage.removeAll(keepingCapacity: true)
        switch JSONBenchMessages.incoming(message, pendingReceipt: jsonReceipt) {
        case .welcome where phase == .stompConnecting:
            phase = .ready
            handler?.connectionReady(self)
        case .frame(let frame) where phase == .ready:
            if frame.command == .ERROR { closeReason = "JSON error: \(frame["message"] ?? "")" }
            handler?.connection(self, received: frame, now: now)
        default:
            return
        }
    }

    private func fail(_ reason: String) {
        closeReason = closeReason ?? reason
        tcp?.close(afterFlush: false)
    }

    private func finish(reason: String?) {
        guard let handler else { return }
        let wasReady = phase == .ready
        phase = .closed
        self.handler = nil
        handler.connectionClosed(self, wasReady: wasReady, reason: reason)
    }

    /// xorshift32: a different masking key per frame, as RFC 6455 asks, without a syscall.
    private func nextMaskKey() -> (UInt8, UInt8, UInt8, UInt8) {
        maskState ^= maskState << 13
        maskState ^= maskState >> 17
        maskState ^= maskState << 5
        let key = maskState
        return (UInt8(truncatingIfNeeded: key), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 24))
    }
}
