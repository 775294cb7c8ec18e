import CLibUV

/// A layer between the socket and the delegate that transforms bytes both ways (TLS). The
/// delegate keeps reading and enqueuing plaintext; the layer's output is what goes on the wire.
/// Every call is on the loop thread; the closures are only valid during the call.
public protocol TCPConnectionSecurity: AnyObject {
    /// Network bytes arrived. Plaintext for the delegate goes to `deliver`; bytes the layer must
    /// send (handshake records, alerts) to `send`. Returns false when the connection must close
    /// (what was given to `send` still goes out first).
    func receive(_ bytes: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void,
                 send: (UnsafeRawBufferPointer) -> Void) -> Bool
    /// One queued plaintext piece, in order; the layer may gather several.
    func seal(_ bytes: UnsafeRawBufferPointer)
    /// End of a run of `seal` calls: the resulting bytes go to `send`.
    func endSeal(send: (UnsafeRawBufferPointer) -> Void)
    /// The connection closes gracefully: the layer's last bytes (TLS close_notify) go to `send`.
    func finish(send: (UnsafeRawBufferPointer) -> Void)
}

extension TCPConnection {
    /// A security layer (TLS) sits between the socket and the delegate.
    public var isSecured: Bool { security != nil }

    /// Installs a security layer on a connection that has not read or written anything yet (right
    /// after accept or connect). From then on the delegate sees and enqueues plaintext only.
    public func secure(with layer: any TCPConnectionSecurity) {
        precondition(output == nil || !(output!.hasPending || output!.isWriting), "secure a connection before any output")
        security = layer
        // A client layer speaks first: give it a flush to start in.
        markDirty()
    }

    /// Network input through the layer: plaintext to the delegate while the connection is open.
    func receiveSecured(_ layer: any TCPConnectionSecurity, _ bytes: UnsafeRawBufferPointer) {
        let keepOpen = layer.receive(bytes, deliver: { plaintext in
            guard state == .open, let delegate else { return }
            delegate.connection(self, didRead: plaintext)
        }, send: { appendToWire($0) })
        if !keepOpen {
            close(afterFlush: true)
        }
    }

    /// Ciphertext sealed ahead of the socket while open: the rest of the plaintext waits in its
    /// own queue, where a cut-off can still drop whole frames (`discardUnstartedFrames`) and the
    /// encrypted backlog stays small.
    static let sealAheadBytes = 256 * 1024

    /// Moves queued plaintext pieces through the layer into the wire queue (`output`): all of
    /// them when closing, otherwise until the wire queue holds `sealAheadBytes`. Called before
    /// each flush, when a write completes, and when a graceful close begins.
    func sealPending(all: Bool = true) {
        guard let layer = security, let plaintext = plaintextOutput else { return }
        let iovecs = loop.iovecs
        let budget = all ? Int.max : Self.sealAheadBytes - (output?.heldBytes ?? 0)
        var sealed = 0
        while plaintext.hasPending && sealed < budget {
            let count = plaintext.gather(into: iovecs, limit: all ? OutputQueue.maxPiecesPerCall : 64)
            var bytes = 0
            for index in 0..<count {
                let piece = iovecs[index]
                bytes += piece.len
                layer.seal(UnsafeRawBufferPointer(start: piece.base, count: piece.len))
            }
            loop.memory.release(outputBytes: plaintext.consume(bytes, pool: loop.outputPool))
            sealed += bytes
        }
        if all || sealed > 0 { layer.endSeal(send: { appendToWire($0) }) }
        if plaintext.isIdle {
            loop.outputPool.recycle(plaintext)
            plaintextOutput = nil
        }
    }

    /// Ciphertext for the socket (copied: the layer's buffer is reused).
    func appendToWire(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, state != .closing, state != .closed else { return }
        let wire: OutputQueue
        if let output {
            wire = output
        } else {
            wire = loop.outputPool.takeQueue()
            output = wire
        }
        loop.memory.outputBytes += wire.appendCopy(bytes, pool: loop.outputPool)
        markDirty()
    }
}
