package import CLibUV

/// Counters of the write path, for tests, metrics and benchmarks.
public struct WriteStatistics: Sendable, Equatable {
    /// `uv_try_write` calls (one writev each).
    public var tryWriteCalls = 0
    /// Bytes the kernel took in `uv_try_write`.
    public var tryWriteBytes = 0
    /// `uv_write` requests started for what `uv_try_write` left.
    public var writeRequests = 0
    /// Bytes handed to `uv_write` requests.
    public var writeRequestBytes = 0
    /// Flush passes (loop turns with at least one dirty connection).
    public var flushPasses = 0
    /// Of those, the passes run right after a read callback that queued more than
    /// `EventLoop.earlyFlushBytes` (see `flushIfReadQueuedMuch`).
    public var earlyFlushPasses = 0
}

/// One libuv loop and everything confined to its thread: the shared read buffer, the dirty list
/// flushed once per turn by an internal `uv_prepare_t`, and pools of output buffers.
///
/// Create the loop and every handle on the thread that runs it. Handle objects keep the loop
/// object alive; each handle keeps its own object alive until its close callback.
public final class EventLoop {
    /// Size of the one read buffer shared by every connection of the loop.
    public static let readBufferSize = 64 * 1024
    /// Output queued by one read callback beyond which the callback is followed by a flush pass
    /// at once instead of at the end of the turn (see `flushIfReadQueuedMuch`).
    public static let earlyFlushBytes = 256 * 1024

    let loop: UnsafeMutablePointer<uv_loop_t>
    /// The raw loop, for other C libraries driven by it (hiredis) inside this package.
    package var uvLoop: UnsafeMutablePointer<uv_loop_t> { loop }
    /// Flushes dirty connections right before the loop polls (unref'd: never keeps the loop alive).
    private let flushHandle: UnsafeMutablePointer<uv_prepare_t>
    /// Closes connections that linger after a graceful close (unref'd).
    private let lingerTimer: UnsafeMutablePointer<uv_timer_t>
    /// Handed out by every alloc callback: libuv reads one stream at a time on a loop.
    let readBuffer: UnsafeMutableRawPointer
    /// iovec scratch for `uv_try_write` / `uv_write` (libuv copies the array for `uv_write`).
    let iovecs: UnsafeMutablePointer<uv_buf_t>
    let outputPool: OutputPool

    // `@exclusivity(unchecked)`: loop-thread state on the per-message path, never accessed
    // overlapping (ARCHITECTURE.md, "Exclusivity checks on the per-message path").
    @exclusivity(unchecked) private var dirty: [TCPConnection] = []
    private var flushing: [TCPConnection] = []
    /// Run once at the end of the next flush pass (latency samples); see `observeNextFlush`.
    private var flushObservers: [() -> Void] = []
    private var lingering: [(deadline: UInt64, connection: TCPConnection)] = []
    private var isClosed = false

    /// Write-path counters since the loop was created.
    @exclusivity(unchecked) public internal(set) var statistics = WriteStatistics()
    /// Bytes held for peers (output queues, inbound partial frames), counted incrementally.
    @exclusivity(unchecked) public var memory = BufferedMemory()
    /// `memory.totalBytes`, for other modules on the per-message path: their direct reads of
    /// `memory` were checked for exclusivity at run time (`@exclusivity(unchecked)` held only
    /// inside this module), one `swift_beginAccess` per SEND.
    public var bufferedBytes: Int { memory.totalBytes }

    /// How long a gracefully closed connection waits for the peer's EOF after our FIN before it
    /// is closed anyway (closing with unread input would send RST and could destroy our last bytes).
    public var lingerTimeoutMilliseconds: UInt64 = 5_000

    /// Creates a loop. `retainedOutputBuffers` bounds the idle output queues and arena chunks
    /// kept for reuse (each about 2 KiB plus a write request).
    public init(retainedOutputBuffers: Int = 1024) throws(UVError) {
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let status = uv_loop_init(loop)
        if status < 0 {
            loop.deallocate()
            throw UVError(code: status)
        }
        let flushHandle = UnsafeMutablePointer<uv_prepare_t>.allocate(capacity: 1)
        uv_prepare_init(loop, flushHandle)
        uv_unref(asHandle(flushHandle))
        let lingerTimer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop, lingerTimer)
        uv_unref(asHandle(lingerTimer))

        self.loop = loop
        self.flushHandle = flushHandle
        self.lingerTimer = lingerTimer
        self.readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        self.iovecs = .allocate(capacity: OutputQueue.maxPiecesPerCall)
        self.outputPool = OutputPool(retainedQueueLimit: retainedOutputBuffers, retainedChunkLimit: retainedOutputBuffers)

        // Unretained: every handle object retains the loop object, not the other way round.
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        loop.pointee.data = opaque
        flushHandle.pointee.data = opaque
        lingerTimer.pointee.data = opaque
    }

    deinit {
        if !isClosed { try? close() }
        if isClosed {
            flushHandle.deallocate()
            lingerTimer.deallocate()
            loop.deallocate()
        }
        // Otherwise libuv still references the memory: leaking it is the only safe choice.
        readBuffer.deallocate()
        iovecs.deallocate()
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    /// Runs until there are no active, referenced handles or `stop()` is called (`UV_RUN_DEFAULT`).
    public func run() {
        uv_run(loop, UV_RUN_DEFAULT)
    }

    /// Runs one turn, blocking for I/O if there is nothing pending (`UV_RUN_ONCE`).
    public func runOnce() {
        uv_run(loop, UV_RUN_ONCE)
    }

    /// Runs one turn without blocking (`UV_RUN_NOWAIT`).
    public func runNoWait() {
        uv_run(loop, UV_RUN_NOWAIT)
    }

    /// Makes `run()` return after the current turn.
    public func stop() {
        uv_stop(loop)
    }

    /// The loop's cached time in milliseconds (`uv_now`), updated at the start of each turn.
    public var nowMilliseconds: UInt64 { uv_now(loop) }

    /// Refreshes the cached time (`uv_update_time`).
    public func updateTime() {
        uv_update_time(loop)
    }

    /// Handles that are open and not closing, excluding the loop's internal flush and linger handles.
    public var openHandleCount: Int {
        struct WalkContext {
            let internalHandles: (UnsafeMutableRawPointer, UnsafeMutableRawPointer)
            var count = 0
        }
        var context = WalkContext(internalHandles: (UnsafeMutableRawPointer(flushHandle), UnsafeMutableRawPointer(lingerTimer)))
        withUnsafeMutablePointer(to: &context) { contextPointer in
            uv_walk(loop, { handle, argument in
                guard let handle, let argument, uv_is_closing(handle) == 0 else { return }
                let context = argument.assumingMemoryBound(to: WalkContext.self)
                let raw = UnsafeMutableRawPointer(handle)
                if raw == context.pointee.internalHandles.0 || raw == context.pointee.internalHandles.1 { return }
                context.pointee.count += 1
            }, contextPointer)
        }
        return context.count
    }

    /// Closes the loop (`uv_loop_close`) after running pending close callbacks. Throws `EBUSY`
    /// while handles are open; after success the loop cannot be used again.
    public func close() throws(UVError) {
        if isClosed { return }
        if openHandleCount > 0 { throw .busy }
        dirty.removeAll()
        lingering.removeAll()
        if uv_is_closing(asHandle(flushHandle)) == 0 { uv_close(asHandle(flushHandle), nil) }
        if uv_is_closing(asHandle(lingerTimer)) == 0 { uv_close(asHandle(lingerTimer), nil) }
        // Close callbacks may close further handles; a few passes drain them.
        var status: Int32 = 0
        for _ in 0..<16 {
            uv_run(loop, UV_RUN_NOWAIT)
            status = uv_loop_close(loop)
            if status != Int32(UV_EBUSY.rawValue) || openHandleCount > 0 { break }
        }
        try check(status)
        isClosed = true
        outputPool.removeAll()
    }

    // MARK: - Dirty list and flush

    /// Queues a connection for the flush before the loop next blocks. Callers keep `isDirty`.
    func markDirty(_ connection: TCPConnection) {
        if dirty.isEmpty { startFlushPass() }
        dirty.append(connection)
    }

    /// Runs `observer` once, right after this turn's flush pass has handed every queued byte to
    /// the kernel (or to `uv_write` when a socket is full): the end point of the node's delivery
    /// latency samples. Runs even when nothing is dirty.
    public func observeNextFlush(_ observer: @escaping () -> Void) {
        flushObservers.append(observer)
        startFlushPass()
    }

    /// Monotonic nanoseconds (`uv_hrtime`), for durations shorter than the loop's millisecond clock.
    public static var monotonicNanoseconds: UInt64 { uv_hrtime() }

    /// Starting an active prepare handle again is a no-op in libuv.
    private func startFlushPass() {
        uv_prepare_start(flushHandle) { handle in
            guard let handle else { return }
            Unmanaged<EventLoop>.fromOpaque(handle.pointee.data).takeUnretainedValue().flushDirtyConnections()
        }
    }

    /// Runs after each read callback, given `memory.outputBytes` from before it: when that one
    /// read queued more than `earlyFlushBytes` (a publisher's read fanned out to many
    /// subscribers: 64 KB of SENDs to 100 subscribers is about 7 MB), the flush pass runs now,
    /// between two libuv callbacks as it does in the prepare phase. Otherwise the turn's later
    /// reads of the same publisher pile up more megabytes first, and the kernel copies bytes the
    /// cache no longer holds (fan-out +9 %, docs/benchmarks.md). Reads that each queue a little
    /// (pairs: one producer's SENDs to a few consumers) still share one pass per turn: counting
    /// across reads flushed every few producers and made five times the writev calls.
    func flushIfReadQueuedMuch(outputBytesBefore: Int) {
        guard memory.outputBytes - outputBytesBefore > Self.earlyFlushBytes, !dirty.isEmpty else { return }
        statistics.earlyFlushPasses += 1
        flushDirtyConnections()
    }

    /// Runs in the prepare phase, i.e. after timers, pending and read callbacks of the turn and
    /// right before poll: whatever they enqueued leaves before the loop sleeps, with one writev
    /// per connection. Each connection gets at most one `uv_try_write` and one `uv_write` of
    /// `OutputQueue.maxPiecesPerCall` pieces per turn, so one huge queue cannot starve the rest.
    private func flushDirtyConnections() {
        swap(&dirty, &flushing)
        statistics.flushPasses += 1
        for connection in flushing {
            connection.isDirty = false
            connection.flushOutput()
        }
        flushing.removeAll(keepingCapacity: flushing.capacity <= 4096)
        if !flushObservers.isEmpty {
            let observers = flushObservers
            flushObservers.removeAll()
            for observer in observers { observer() }
        }
        if dirty.isEmpty && flushObservers.isEmpty { uv_prepare_stop(flushHandle) }
    }

    // MARK: - Lingering close

    func startLingering(_ connection: TCPConnection) {
        let deadline = uv_now(loop) + lingerTimeoutMilliseconds
        lingering.append((deadline, connection))
        if lingering.count == 1 { armLingerTimer() }
    }

    private func armLingerTimer() {
        guard let first = lingering.first else {
            uv_timer_stop(lingerTimer)
            return
        }
        let now = uv_now(loop)
        let delay = first.deadline > now ? first.deadline - now : 0
        uv_timer_start(lingerTimer, { timer in
            guard let timer else { return }
            Unmanaged<EventLoop>.fromOpaque(timer.pointee.data).takeUnretainedValue().expireLingering()
        }, delay, 0)
    }

    /// The connection closed before its linger deadline.
    func stopLingering(_ connection: TCPConnection) {
        guard let index = lingering.firstIndex(where: { $0.connection === connection }) else { return }
        lingering.remove(at: index)
        if index == 0 { armLingerTimer() }
    }

    private func expireLingering() {
        let now = uv_now(loop)
        var expired = 0
        while expired < lingering.count, lingering[expired].deadline <= now { expired += 1 }
        let due = lingering[0..<expired].map(\.connection)
        lingering.removeFirst(expired)
        for connection in due { connection.lingerExpired() }
        armLingerTimer()
    }
}
