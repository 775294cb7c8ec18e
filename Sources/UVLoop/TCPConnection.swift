import CLibUV

/// Reasons a connection stopped reading (`TCPConnection.pauseReading`), independent of each other.
public struct ReadPauses: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `pauseReading()` without a reason (e.g. input held until the cluster confirms an interest).
    public static let caller = ReadPauses(rawValue: 1 << 0)
    /// Publisher flow control: subscribers are behind (`FlowControl`).
    public static let flowControl = ReadPauses(rawValue: 1 << 1)
    /// The node's memory budget is exhausted.
    public static let memoryBudget = ReadPauses(rawValue: 1 << 2)
    /// A per-connection rate limit.
    public static let rateLimit = ReadPauses(rawValue: 1 << 3)
}

/// Receives a connection's input and its single close notification, on the loop thread.
public protocol TCPConnectionDelegate: AnyObject {
    /// Input arrived. `bytes` points into the loop's shared read buffer: valid only during the call.
    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer)
    /// The connection is closed, exactly once, from the close callback: `error` is nil after EOF or
    /// a close of ours, and the cause for resets, failed writes and the like.
    func connectionDidClose(_ connection: TCPConnection, error: UVError?)
}

/// A TCP stream on the loop: reads into the loop's shared buffer, writes through an output queue
/// flushed once per loop turn (see `EventLoop`).
///
/// Ownership: the libuv handle holds +1 on this object from creation until its close callback,
/// so an open connection never disappears under the loop. The delegate is held strongly and
/// released right after `connectionDidClose`, so a session object may live exactly as long as
/// its connection without a table of its own (a session that references the connection forms a
/// cycle that the close callback breaks).
public final class TCPConnection {
    enum State: UInt8 {
        /// Client side, `uv_tcp_connect` pending.
        case connecting
        case open
        /// `close(afterFlush: true)`: writing the queue, input discarded.
        case draining
        /// Queue written, `uv_shutdown` (FIN) pending.
        case shuttingDown
        /// FIN sent, waiting for the peer's EOF (bounded by the loop's linger timeout).
        case lingering
        /// `uv_close` called, close callback pending.
        case closing
        /// Close callback ran; the handle memory is freed.
        case closed
    }

    let loop: EventLoop
    let handle: UnsafeMutablePointer<uv_tcp_t>
    /// Receives input and the close notification; strong, released after `connectionDidClose`.
    public var delegate: (any TCPConnectionDelegate)?
    // `@exclusivity(unchecked)`: loop-thread state on the per-message path, never accessed
    // overlapping (ARCHITECTURE.md, "Exclusivity checks on the per-message path").
    /// Present only while there is output; comes from and returns to the loop's pool. With a
    /// security layer this holds the layer's output (ciphertext), and the delegate's plaintext
    /// waits in `plaintextOutput` until the flush seals it.
    var output: OutputQueue? {
        get { outputStorage?.takeUnretainedValue() }
        set {
            if let newValue { _ = Unmanaged.passUnretained(newValue).retain() }
            outputStorage?.release()
            outputStorage = newValue.map(Unmanaged.passUnretained)
        }
    }
    /// `output`, held with one manual retain so the per-delivery append can use it through an
    /// unretained reference (`enqueueFrame`): returning a counted one cost an atomic retain
    /// and release per delivered frame (issue 13). Released when `output` is set to nil, which
    /// closing does.
    @exclusivity(unchecked) var outputStorage: Unmanaged<OutputQueue>?
    /// The delegate's output on a secured connection, before the layer transforms it.
    @exclusivity(unchecked) var plaintextOutput: OutputQueue?
    /// TLS or another transform between socket and delegate (see `secure(with:)`).
    @exclusivity(unchecked) var security: (any TCPConnectionSecurity)?
    var cachedPeerAddress: String?
    var closeError: UVError?
    @exclusivity(unchecked) var state: State
    /// Listed in the loop's dirty list.
    @exclusivity(unchecked) var isDirty = false
    /// Loop time (ms) the kernel last took output bytes from this connection: a peer whose
    /// backlog grows while this advances is slow; one where it stands still is not reading.
    @exclusivity(unchecked) public internal(set) var lastOutputProgress: UInt64 = 0
    /// Reading may start (after `onAccept` / the connect completion returned).
    private var readingAllowed = false
    /// Why reading is paused; reading runs only when no reason is left.
    public private(set) var readPauses: ReadPauses = []
    private var isReading = false
    var peerSentEOF = false

    /// Takes an initialized handle; from here on the handle owns +1 on the object.
    init(loop: EventLoop, handle: UnsafeMutablePointer<uv_tcp_t>, state: State) {
        self.loop = loop
        self.handle = handle
        self.state = state
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    static func from(_ handle: UnsafeMutableRawPointer?) -> TCPConnection {
        let handle = handle.unsafelyUnwrapped.assumingMemoryBound(to: uv_handle_t.self)
        return Unmanaged<TCPConnection>.fromOpaque(handle.pointee.data).takeUnretainedValue()
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { asStream(handle) }

    /// The peer's address as `"ip:port"` (`"[ip6]:port"`), recorded when the connection opened.
    public var peerAddress: String { cachedPeerAddress ?? "" }

    /// True once `close` was called or the connection failed; the delegate still gets `connectionDidClose`.
    public var isClosing: Bool { state != .open && state != .connecting }

    /// The connection is established: record the peer, disable Nagle.
    func didOpen() {
        uv_tcp_nodelay(handle, 1)
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(handle, $0, &length) }
        }
        if status == 0 { cachedPeerAddress = SocketAddress.describe(storage) }
    }

    // MARK: - Reading

    /// Allows reading and starts it. Accepted connections start reading when `onAccept` returns,
    /// client connections when the connect completion returns, unless `pauseReading()` was called.
    /// Clears every pause reason.
    public func startReading() {
        readingAllowed = true
        readPauses = []
        updateReading()
    }

    /// Stops reading (back-pressure): the kernel buffers and then the peer's writes stall.
    /// Several parts of a node pause for their own reasons (waiting for the cluster, publisher
    /// flow control, the memory budget, rate limits); reading resumes when all have resumed.
    public func pauseReading(_ reason: ReadPauses = .caller) {
        readPauses.insert(reason)
        updateReading()
    }

    /// Withdraws one reason given to `pauseReading`; reading resumes when none is left.
    public func resumeReading(_ reason: ReadPauses = .caller) {
        readingAllowed = true
        readPauses.remove(reason)
        updateReading()
    }

    /// The handshake finished (`onAccept` or the connect completion returned).
    func allowReading() {
        readingAllowed = true
        updateReading()
    }

    /// Starts or stops `uv_read` to match the state: while closing gracefully, input is read and
    /// discarded until EOF, whatever the pause, so that closing does not turn into a reset.
    func updateReading() {
        let wanted: Bool
        switch state {
        case .open: wanted = readingAllowed && readPauses.isEmpty
        case .draining, .shuttingDown, .lingering: wanted = !peerSentEOF
        case .connecting, .closing, .closed: wanted = false
        }
        guard wanted != isReading else { return }
        if wanted {
            let status = uv_read_start(stream, { handle, _, buffer in
                let loop = EventLoop.from(handle.unsafelyUnwrapped.pointee.loop)
                buffer.unsafelyUnwrapped.pointee = uv_buf_init(
                    loop.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(EventLoop.readBufferSize))
            }, { stream, count, _ in
                let connection = TCPConnection.from(UnsafeMutableRawPointer(stream))
                let outputBytesBefore = connection.loop.memory.outputBytes
                connection.didRead(count)
                connection.loop.flushIfReadQueuedMuch(outputBytesBefore: outputBytesBefore)
            })
            if status < 0 {
                closeNow(error: UVError(code: status))
                return
            }
        } else {
            uv_read_stop(stream)
        }
        isReading = wanted
    }

    private func didRead(_ count: Int) {
        if count > 0 {
            // Input after close() is read only to drain the socket.
            guard state == .open, let delegate else { return }
            if let security {
                receiveSecured(security, UnsafeRawBufferPointer(start: loop.readBuffer, count: count))
                return
            }
            delegate.connection(self, didRead: UnsafeRawBufferPointer(start: loop.readBuffer, count: count))
        } else if count == Int(UV_EOF.rawValue) {
            peerSentEOF = true
            switch state {
            case .open:
                // Half-close by the peer: what is queued still goes out, then we close too.
                close(afterFlush: true)
            case .lingering:
                closeNow(error: nil)
            default:
                updateReading()
            }
        } else if count < 0 {
            closeNow(error: UVError(code: Int32(count)))
        }
    }

    // MARK: - Closing

    /// Closes the connection. With `afterFlush` the queued bytes are written first, then a FIN is
    /// sent and input is discarded until the peer's EOF (or the loop's linger timeout); without it
    /// the queue is dropped. Later enqueues are ignored; calling it again is harmless (a second
    /// call without `afterFlush` cuts a graceful close short). A client connection still
    /// connecting closes at once.
    public func close(afterFlush: Bool = true) {
        switch state {
        case .closing, .closed:
            return
        case .connecting:
            closeNow(error: nil)
        case .draining, .shuttingDown, .lingering:
            if !afterFlush { closeNow(error: nil) }
        case .open:
            guard afterFlush else {
                closeNow(error: nil)
                return
            }
            state = .draining
            updateReading()
            if let security {
                sealPending()
                security.finish(send: { appendToWire($0) })
            }
            if output?.isIdle ?? true { startShutdown() }
        }
    }

    /// Sends FIN once everything was handed to the kernel (`uv_shutdown`).
    func startShutdown() {
        state = .shuttingDown
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let status = uv_shutdown(request, stream) { request, status in
            guard let request else { return }
            // The handle's +1 keeps the connection alive: libuv cancels a pending shutdown
            // (ECANCELED) before the close callback.
            let connection = Unmanaged<TCPConnection>.fromOpaque(request.pointee.data).takeUnretainedValue()
            request.deallocate()
            connection.didShutdown(status)
        }
        if status < 0 {
            request.deallocate()
            closeNow(error: UVError(code: status))
        }
    }

    private func didShutdown(_ status: Int32) {
        guard state == .shuttingDown else { return }
        if status < 0 {
            closeNow(error: UVError(code: status))
        } else if peerSentEOF {
            closeNow(error: nil)
        } else {
            state = .lingering
            loop.startLingering(self)
        }
    }

    func lingerExpired() {
        if state == .lingering { closeNow(error: nil) }
    }

    /// `uv_close` now; the delegate hears of it from the close callback, a later loop turn.
    func closeNow(error: UVError?) {
        switch state {
        case .closing, .closed: return
        case .lingering: loop.stopLingering(self)
        default: break
        }
        if closeError == nil { closeError = error }
        state = .closing
        isReading = false
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            Unmanaged<TCPConnection>.fromOpaque(handle.pointee.data).takeRetainedValue().didClose()
        }
    }

    /// The close callback: pending writes were already cancelled, so the output can go; then the
    /// delegate hears of it once and is released, and the handle memory is freed.
    private func didClose() {
        state = .closed
        if let output {
            loop.memory.release(outputBytes: output.discardAll(pool: loop.outputPool))
            loop.outputPool.recycle(output)
            self.output = nil
        }
        if let plaintextOutput {
            loop.memory.release(outputBytes: plaintextOutput.discardAll(pool: loop.outputPool))
            loop.outputPool.recycle(plaintextOutput)
            self.plaintextOutput = nil
        }
        security = nil
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connectionDidClose(self, error: closeError)
        UnsafeMutableRawPointer(handle).deallocate()
    }
}
