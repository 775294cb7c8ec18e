/// Timings and limits of SockJS sessions.
public struct SockJSSessionOptions: Sendable, Equatable {
    /// An `h` frame goes to the receiving request after this long without any other frame.
    public var heartbeatMilliseconds: UInt64
    /// A session without a receiving request for this long is closed and forgotten (sockjs-node's
    /// `disconnect_delay`).
    public var disconnectDelayMilliseconds: UInt64
    /// Outgoing bytes a session holds while no request receives them; beyond it the session is
    /// closed (3008, slow consumer) instead of growing.
    public var maxBufferedBytes: Int
    /// A streaming response (xhr_streaming, eventsource, htmlfile) ends after this many bytes and
    /// the client opens the next one, so that browsers do not keep huge responses in memory.
    public var streamingResponseLimitBytes: Int

    /// sockjs-node's defaults (25 s heartbeat, 5 s disconnect delay, 128 KiB per streaming response).
    public init(
        heartbeatMilliseconds: UInt64 = 25_000,
        disconnectDelayMilliseconds: UInt64 = 5_000,
        maxBufferedBytes: Int = 1 << 20,
        streamingResponseLimitBytes: Int = 128 * 1024
    ) {
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.disconnectDelayMilliseconds = disconnectDelayMilliseconds
        self.maxBufferedBytes = maxBufferedBytes
        self.streamingResponseLimitBytes = streamingResponseLimitBytes
    }
}

/// The number the shell gives each receiving request (an HTTP response or a WebSocket).
public typealias SockJSReceiverID = UInt64

/// One SockJS session as a pure state machine: receiving requests attach and detach, the
/// application sends messages and closes, time passes (`tick`). Every call returns what the shell
/// must do. At most one request receives at a time; a second gets `c[2010,…]`.
public struct SockJSSession: Sendable {
    /// Where the session stands.
    public enum State: Sendable, Equatable {
        /// Created by the first receiving request; `o` not sent yet.
        case opening
        /// `o` sent: messages flow.
        case open
        /// Closed with this frame; later receiving requests get it until the session is forgotten.
        case closed(code: Int, reason: String)
    }

    /// What the shell must carry out.
    public enum Output: Sendable, Equatable {
        /// Write these bytes on the receiving request (one WebSocket message, or one chunk).
        case write(SockJSReceiverID, [UInt8])
        /// Finish the receiving request's response (polling done, byte limit, close, refusal).
        case end(SockJSReceiverID)
        /// The session closed (by the server, the client's abort, a timeout or a limit): tell the
        /// protocol running inside (e.g. end the STOMP session).
        case closed(code: Int, reason: String)
        /// The session can be forgotten.
        case expired
    }

    /// Close frame when buffered output passes `maxBufferedBytes`.
    public static let slowConsumer = SockJSFrame.close(code: 3008, reason: "Slow consumer: output buffer limit reached")
    /// Close frame when the session ends because nobody came to receive.
    public static let timedOut = SockJSFrame.close(code: 3009, reason: "Session timed out")

    private struct Receiver: Sendable {
        var id: SockJSReceiverID
        var kind: SockJSReceiverKind
        var bytesWritten: Int
        var lastWrite: UInt64
    }

    public let options: SockJSSessionOptions
    public private(set) var state: State = .opening
    /// Messages waiting for a receiving request.
    private var pending: [String] = []
    /// Bytes of `pending` (UTF-8 of the messages): counts in the node's buffered-bytes budget.
    public private(set) var bufferedBytes = 0
    private var receiver: Receiver?
    /// Since when no request receives (nil while one does).
    private var unattachedSince: UInt64?
    /// `finish` was called with messages still pending: the close frame follows them.
    private var closeAfterPending: SockJSFrame?

    /// A session created at `now` by its first receiving request (which the caller attaches next).
    public init(options: SockJSSessionOptions = .init(), now: UInt64) {
        self.options = options
        self.unattachedSince = now
    }

    /// True while a request receives.
    public var hasReceiver: Bool { receiver != nil }

    /// A receiving request arrives.
    public mutating func attach(_ id: SockJSReceiverID, kind: SockJSReceiverKind, now: UInt64) -> [Output] {
        var out: [Output] = []
        let prelude = kind.prelude
        // The prelude goes out on its own, before the frame, as it does for an accepted receiver.
        if receiver != nil {
            if !prelude.isEmpty { write(id, prelude, into: &out) }
            write(id, kind.encode(.anotherConnectionOpen), into: &out)
            out.append(.end(id))
            return out
        }
        if case .closed(let code, let reason) = state {
            if !prelude.isEmpty { write(id, prelude, into: &out) }
            write(id, kind.encode(.close(code: code, reason: reason)), into: &out)
            out.append(.end(id))
            return out
        }
        receiver = Receiver(id: id, kind: kind, bytesWritten: 0, lastWrite: now)
        unattachedSince = nil
        // The prelude does not count toward the response's byte limit (as in sockjs-node).
        if !prelude.isEmpty { write(id, prelude, into: &out) }
        if state == .opening {
            state = .open
            emit(kind.encode(.open), now: now, into: &out)
            if kind.isStreaming { flush(now: now, into: &out) } else { finishReceiver(now: now, into: &out) }
            return out
        }
        flush(now: now, into: &out)
        return out
    }

    /// The receiving request went away (client aborted, socket closed). If the session still
    /// counted on it, the session ends with 1002 "Connection interrupted" (as sockjs-node does).
    public mutating func detach(_ id: SockJSReceiverID, now: UInt64) -> [Output] {
        guard receiver?.id == id else { return [] }
        receiver = nil
        unattachedSince = now
        guard state != .opening, !isClosed else { return [] }
        state = .closed(code: 1002, reason: "Connection interrupted")
        return [.closed(code: 1002, reason: "Connection interrupted")]
    }

    /// The application sends messages (e.g. one STOMP frame each).
    public mutating func send(_ messages: [String], now: UInt64) -> [Output] {
        guard !isClosed, !messages.isEmpty else { return [] }
        for message in messages {
            pending.append(message)
            bufferedBytes += message.utf8.count
        }
        var out: [Output] = []
        if receiver != nil, state == .open {
            flush(now: now, into: &out)
        } else if bufferedBytes > options.maxBufferedBytes {
            close(Self.slowConsumer, now: now, into: &out)
        }
        return out
    }

    /// The server closes the session (`c[code,"reason"]` to the receiver, and to later requests).
    public mutating func close(code: Int = 3000, reason: String = "Go away!", now: UInt64) -> [Output] {
        guard !isClosed else { return [] }
        var out: [Output] = []
        close(.close(code: code, reason: reason), now: now, into: &out)
        return out
    }

    /// The application is done (its connection ended): messages still pending go to the next
    /// receiving request first, then the close frame, so that a last ERROR reaches the client.
    public mutating func finish(code: Int = 3000, reason: String = "Go away!", now: UInt64) -> [Output] {
        guard !isClosed else { return [] }
        var out: [Output] = []
        closeAfterPending = .close(code: code, reason: reason)
        if receiver != nil, state == .open { flush(now: now, into: &out) }
        return out
    }

    /// Heart-beats and the disconnect delay.
    public mutating func tick(now: UInt64) -> [Output] {
        var out: [Output] = []
        if let current = receiver {
            if now >= current.lastWrite + options.heartbeatMilliseconds, state == .open {
                emit(current.kind.encode(.heartbeat), now: now, into: &out)
                if !current.kind.isStreaming { finishReceiver(now: now, into: &out) }
            }
        } else if let since = unattachedSince, now >= since + options.disconnectDelayMilliseconds {
            if !isClosed {
                state = .closed(code: 3009, reason: "Session timed out")
                out.append(.closed(code: 3009, reason: "Session timed out"))
            }
            pending = []
            bufferedBytes = 0
            unattachedSince = nil
            out.append(.expired)
        }
        return out
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private mutating func close(_ frame: SockJSFrame, now: UInt64, into out: inout [Output]) {
        guard case .close(let code, let reason) = frame else { return }
        state = .closed(code: code, reason: reason)
        pending = []
        bufferedBytes = 0
        out.append(.closed(code: code, reason: reason))
        if let current = receiver {
            emit(current.kind.encode(frame), now: now, into: &out)
            finishReceiver(now: now, into: &out)
        }
    }

    /// Pending messages go out as one `a[...]` frame; polling ends after it.
    private mutating func flush(now: UInt64, into out: inout [Output]) {
        guard let current = receiver else { return }
        if !pending.isEmpty {
            let frame = current.kind.encode(.messages(pending))
            pending = []
            bufferedBytes = 0
            emit(frame, now: now, into: &out)
            if !current.kind.isStreaming || current.bytesWritten + frame.utf8.count >= options.streamingResponseLimitBytes {
                finishReceiver(now: now, into: &out)
            }
        }
        if let last = closeAfterPending, receiver != nil {
            closeAfterPending = nil
            close(last, now: now, into: &out)
        }
    }

    private mutating func emit(_ text: String, now: UInt64, into out: inout [Output]) {
        guard var current = receiver else { return }
        let bytes = Array(text.utf8)
        current.bytesWritten += bytes.count
        current.lastWrite = now
        receiver = current
        out.append(.write(current.id, bytes))
    }

    private func write(_ id: SockJSReceiverID, _ text: String, into out: inout [Output]) {
        out.append(.write(id, Array(text.utf8)))
    }

    /// Ends the current receiving request normally; the session waits for the next one.
    private mutating func finishReceiver(now: UInt64, into out: inout [Output]) {
        guard let current = receiver else { return }
        out.append(.end(current.id))
        receiver = nil
        unattachedSince = now
    }
}
