internal import UVLoop
internal import STOMPWire
internal import SockJSWire

/// Something that receives a session's frames: a streaming or polling HTTP response, or the
/// SockJS `websocket` transport.
protocol SockJSReceiver: AnyObject {
    /// Bytes of the transport's framing (already encoded for it).
    func write(_ bytes: [UInt8])
    /// The session is done with this receiver (poll answered, byte limit, close).
    func end()
}

/// One SockJS session: the pure `SockJSSession`, and the in-process stream to the node, which
/// serves the other end as an ordinary raw STOMP connection. STOMP frames the node writes are cut
/// into one SockJS message each; client messages are written to the node as they come.
final class SockJSSessionHost: TCPConnectionDelegate {
    unowned let server: SockJSServer
    let key: SockJSServer.SessionKey
    /// The node's end of the session's stream; nil for the conformance echo and close services.
    let stream: TCPConnection?
    let behavior: SockJSMount.Behavior
    var session: SockJSSession
    private var splitter = STOMPFrameSplitter()
    /// The stream carries NUL-ended JSON texts instead of STOMP frames (`SockJSMount.carriesJSON`).
    var carriesJSON = false
    private var jsonPending: [UInt8] = []
    private var streamClosed = false
    /// `session.bufferedBytes` as last added to the loop's `memory.transportBytes`.
    private var countedBytes = 0
    /// Reading from the node stopped: frames wait in the node's output queue for this session
    /// (its slow-consumer limit and the node's budget apply there) instead of here.
    private var readingPaused = false

    init(server: SockJSServer, key: SockJSServer.SessionKey, stream: TCPConnection?, behavior: SockJSMount.Behavior, session: SockJSSession) {
        self.server = server
        self.key = key
        self.stream = stream
        self.behavior = behavior
        self.session = session
        streamClosed = stream == nil
    }

    // MARK: Receivers and client messages

    /// A request (registered with `SockJSServer.makeReceiverID`) starts receiving.
    func attach(_ id: SockJSReceiverID, kind: SockJSReceiverKind) {
        perform(session.attach(id, kind: kind, now: server.clock()))
        if behavior == .close, session.state == .open { perform(session.close(now: server.clock())) }
    }

    /// The receiving request went away before the session ended it (client abort).
    func detach(_ id: SockJSReceiverID) {
        guard server.receivers.removeValue(forKey: id) != nil else { return }
        perform(session.detach(id, now: server.clock()))
    }

    /// Messages from the client (`xhr_send`, `jsonp_send`, the websocket transport).
    func receive(_ messages: [String]) {
        if behavior == .echo { return perform(session.send(messages, now: server.clock())) }
        guard !streamClosed, let stream else { return }
        for message in messages where !message.isEmpty {
            stream.enqueue(carriesJSON ? Array(message.utf8) + [0] : Array(message.utf8))
        }
    }

    /// The websocket transport's client closed: the session ends with it.
    func clientClosed() {
        perform(session.close(code: 1000, reason: "Normal closure", now: server.clock()))
    }

    func perform(_ outputs: [SockJSSession.Output]) {
        for output in outputs {
            switch output {
            case .write(let id, let bytes):
                server.receivers[id]?.write(bytes)
            case .end(let id):
                server.receivers.removeValue(forKey: id)?.end()
            case .closed(let code, _):
                server.count(closed: code)
                if !streamClosed { stream?.close(afterFlush: true) }
            case .expired:
                server.forget(self)
                if !streamClosed { stream?.close(afterFlush: false) }
            }
        }
        account()
    }

    /// Keeps the node's budget and this session's backlog in step with what the session holds.
    private func account() {
        let held = session.bufferedBytes
        if held != countedBytes {
            server.loop.memory.adjustTransport(by: held - countedBytes)
            countedBytes = held
        }
        let pause = held >= server.pauseReadingAtBytes
        guard pause != readingPaused, !streamClosed, let stream else { return }
        readingPaused = pause
        if pause { stream.pauseReading() } else { stream.resumeReading() }
    }

    // MARK: The node's side

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        var messages: [String] = []
        if carriesJSON {
            jsonPending.append(contentsOf: bytes)
            var start = 0
            while let end = jsonPending[start...].firstIndex(of: 0) {
                messages.append(String(decoding: jsonPending[start..<end], as: UTF8.self))
                start = end + 1
            }
            jsonPending.removeFirst(start)
        } else {
            splitter.feed(bytes)
            while let frame = splitter.next() { messages.append(String(decoding: frame, as: UTF8.self)) }
        }
        if !messages.isEmpty { perform(session.send(messages, now: server.clock())) }
    }

    /// The node ended the protocol connection (DISCONNECT, ERROR, shutdown): what it wrote last
    /// still goes to the client, then the close frame.
    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        streamClosed = true
        perform(session.finish(now: server.clock()))
    }
}
