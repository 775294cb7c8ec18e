public import UVLoop

/// Puts a `TLSSession` between a `TCPConnection` and its delegate: the delegate reads and writes
/// plaintext, the connection's one write path carries the ciphertext (sealed once per loop turn,
/// in the flush). Reports the handshake's end, success or failure, once.
public final class TLSSecurityLayer: TCPConnectionSecurity {
    public let session: TLSSession
    /// Called once: nil when the handshake completed, else OpenSSL's reason.
    private var onHandshake: ((_ failure: String?) -> Void)?

    public init(session: TLSSession, onHandshake: ((_ failure: String?) -> Void)? = nil) {
        self.session = session
        self.onHandshake = onHandshake
    }

    public func receive(_ bytes: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void,
                        send: (UnsafeRawBufferPointer) -> Void) -> Bool {
        let outcome = session.receive(bytes, plaintext: deliver)
        session.takeCiphertext(send)
        if outcome.handshakeCompleted { report(nil) }
        if let failure = outcome.failure {
            report(failure)
            return false
        }
        return !outcome.peerClosed
    }

    public func seal(_ bytes: UnsafeRawBufferPointer) {
        session.seal(bytes)
    }

    public func endSeal(send: (UnsafeRawBufferPointer) -> Void) {
        session.endSeal()
        session.takeCiphertext(send)
    }

    public func finish(send: (UnsafeRawBufferPointer) -> Void) {
        session.close()
        session.takeCiphertext(send)
    }

    private func report(_ failure: String?) {
        guard let onHandshake else { return }
        self.onHandshake = nil
        onHandshake(failure)
    }
}
