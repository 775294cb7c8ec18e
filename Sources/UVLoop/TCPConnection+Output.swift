import CLibUV

extension TCPConnection {
    /// Queues shared bytes by reference (no copy); they leave in the flush before the loop next
    /// blocks. Ignored once the connection is closing.
    public func enqueue(_ bytes: SharedBytes) {
        guard acceptsOutput, bytes.count > 0 else { return }
        loop.memory.outputBytes += outputForAppend().append(bytes)
        markDirty()
    }

    /// Copies small pieces into the connection's arena chunk (consecutive copies become one
    /// iovec; no allocation in steady state). Pieces over 1 KiB get an allocation of their own.
    public func enqueue(copying bytes: UnsafeRawBufferPointer) {
        guard acceptsOutput, bytes.count > 0 else { return }
        // Queue and pool unretained, as for `enqueueFrame` (a client sends through here per message).
        loop.memory.outputBytes += withOutputForAppend { appendCopy(bytes, to: $0) }
        markDirty()
    }

    /// One frame: `head` copied, then `tail` by reference (what `beginFrame`, `enqueue(copying:)`
    /// and `enqueue(_:)` do, with one look-up of the queue and one dirty mark: this runs once
    /// per delivery).
    public func enqueueFrame(copying head: UnsafeRawBufferPointer, sharing tail: SharedBytes) {
        enqueueFrame(copying: head, sharingUnretained: .passUnretained(tail))
    }

    /// `enqueueFrame(copying:sharing:)` for a caller that keeps `tail` alive during the call.
    /// The per-delivery path: a counted reference was an atomic retain and release on the
    /// publication's shared tail per subscriber, and the first atomic operation after the
    /// copies waits for their stores (issue 13).
    public func enqueueFrame(copying head: UnsafeRawBufferPointer, sharingUnretained tail: Unmanaged<SharedBytes>) {
        enqueueFrame(copying: head, tail: tail)
    }

    /// `enqueueFrame(copying:sharing:)` of a frame that is all in `head`.
    public func enqueueFrame(copying head: UnsafeRawBufferPointer) {
        enqueueFrame(copying: head, tail: nil)
    }

    /// The one frame append behind the public forms (an optional `Unmanaged` unwraps without
    /// reference counting, unlike an optional `SharedBytes`).
    private func enqueueFrame(copying head: UnsafeRawBufferPointer, tail: Unmanaged<SharedBytes>?) {
        guard acceptsOutput else { return }
        let grown = withOutputForAppend { output in
            output.markFrameStart()
            var grown = appendCopy(head, to: output)
            if let tail, tail._withUnsafeGuaranteedRef({ $0.count }) > 0 { grown += output.append(unretained: tail) }
            return grown
        }
        guard grown > 0 else { return }
        loop.memory.outputBytes += grown
        markDirty()
    }

    /// Calls `body` with the queue output goes to (`outputForAppend`), unretained when it is
    /// `output` (see `outputStorage`): the per-delivery path.
    @inline(__always)
    private func withOutputForAppend<Result>(_ body: (OutputQueue) -> Result) -> Result {
        if security == nil, let storage = outputStorage { return storage._withUnsafeGuaranteedRef(body) }
        return body(outputForAppend())
    }

    /// The pool through an unretained reference (the loop owns it): a counted one was a retain
    /// and a release per delivered frame (issue 13).
    private func appendCopy(_ bytes: UnsafeRawBufferPointer, to output: OutputQueue) -> Int {
        bytes.isEmpty ? 0 : Unmanaged.passUnretained(loop.outputPool)._withUnsafeGuaranteedRef { output.appendCopy(bytes, pool: $0) }
    }

    /// The next bytes enqueued begin a new frame (a STOMP frame, or the WebSocket message
    /// carrying one): `discardUnstartedFrames()` may cut the queue there and no further back.
    public func beginFrame() {
        guard acceptsOutput else { return }
        outputForAppend().markFrameStart()
    }

    /// Drops queued frames that have not started on the wire (a slow consumer being cut off), so
    /// what is enqueued next, the ERROR saying why, goes out right after the frame being written.
    /// Returns the bytes dropped.
    @discardableResult
    public func discardUnstartedFrames() -> Int {
        // On a secured connection the frames wait as plaintext; sealed bytes are on their way.
        guard acceptsOutput, let output = security != nil ? plaintextOutput : output else { return 0 }
        let dropped = output.discardUnstartedFrames(pool: loop.outputPool)
        loop.memory.release(outputBytes: dropped)
        return dropped
    }

    /// Every output byte this connection keeps alive (queued, or held by the in-flight write).
    /// Same as the loop's `memory.outputBytes` contribution: a counter, no system call.
    /// Read per delivery: `output` through its unretained storage.
    public var heldOutputBytes: Int {
        (outputStorage?._withUnsafeGuaranteedRef { $0.heldBytes } ?? 0) + (plaintextOutput?.heldBytes ?? 0)
    }

    /// Queues a copy of the array (see `enqueue(copying:)`).
    public func enqueue(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { enqueue(copying: $0) }
    }

    /// Bytes queued and not yet taken by the kernel: the pending queue plus what the in-flight
    /// `uv_write` has left. The measure for slow-consumer limits.
    public var queuedByteCount: Int {
        let plaintext = plaintextOutput?.pendingBytes ?? 0
        guard let output else { return plaintext }
        let writing = state == .closed ? 0 : uv_stream_get_write_queue_size(stream)
        return output.pendingBytes + writing + plaintext
    }

    private var acceptsOutput: Bool { state == .open || state == .connecting }

    private func outputForAppend() -> OutputQueue {
        if security != nil {
            if let plaintextOutput { return plaintextOutput }
            let fresh = loop.outputPool.takeQueue()
            plaintextOutput = fresh
            return fresh
        }
        if let output { return output }
        let fresh = loop.outputPool.takeQueue()
        output = fresh
        return fresh
    }

    func noteOutputProgress() {
        lastOutputProgress = loop.nowMilliseconds
    }

    func markDirty() {
        guard !isDirty else { return }
        isDirty = true
        loop.markDirty(self)
    }

    /// Called by the loop's flush: one writev of up to 1024 pieces with `uv_try_write`; what the
    /// kernel does not take goes into ONE `uv_write` (up to 1024 pieces) whose request keeps the
    /// pieces alive. While it is pending, new pieces wait in order; its callback re-marks the
    /// connection dirty.
    func flushOutput() {
        if security != nil && (state == .open || state == .draining) { sealPending(all: state == .draining) }
        guard state == .open || state == .draining, let output, !output.isWriting, output.hasPending else { return }
        let iovecs = loop.iovecs
        let pool = loop.outputPool
        var count = output.gather(into: iovecs, limit: OutputQueue.maxPiecesPerCall)
        var written = uv_try_write(stream, iovecs, UInt32(count))
        loop.statistics.tryWriteCalls += 1
        if written == Int32(UV_EAGAIN.rawValue) { written = 0 }
        if written < 0 {
            closeNow(error: UVError(code: written))
            return
        }
        loop.statistics.tryWriteBytes += Int(written)
        if written > 0 { noteOutputProgress() }
        loop.memory.release(outputBytes: output.consume(Int(written), pool: pool))
        guard output.hasPending else {
            outputDrained()
            return
        }
        count = output.gather(into: iovecs, limit: OutputQueue.maxPiecesPerCall)
        let bytes = output.moveToInFlight(count)
        let request = output.writeRequest
        request.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let status = uv_write(request, stream, iovecs, UInt32(count)) { request, status in
            guard let request else { return }
            // The handle's +1 keeps the connection alive: libuv runs cancelled write callbacks
            // before the close callback.
            Unmanaged<TCPConnection>.fromOpaque(request.pointee.data).takeUnretainedValue().didWrite(status)
        }
        loop.statistics.writeRequests += 1
        loop.statistics.writeRequestBytes += bytes
        if status < 0 {
            loop.memory.release(outputBytes: output.finishWrite(pool: pool))
            closeNow(error: UVError(code: status))
        }
    }

    private func didWrite(_ status: Int32) {
        guard let output else { return }
        if status >= 0 { noteOutputProgress() }
        loop.memory.release(outputBytes: output.finishWrite(pool: loop.outputPool))
        if status < 0 {
            // ECANCELED: we are closing already and the close callback follows.
            closeNow(error: UVError(code: status))
        } else if output.hasPending {
            markDirty()
        } else {
            outputDrained()
        }
    }

    /// Everything was handed to the kernel: the output buffers go back to the pool.
    private func outputDrained() {
        if let output {
            loop.outputPool.recycle(output)
            self.output = nil
        }
        // Plaintext held back from sealing (see `sealAheadBytes`) goes next.
        if plaintextOutput?.hasPending ?? false { markDirty() }
        if state == .draining { startShutdown() }
    }
}
