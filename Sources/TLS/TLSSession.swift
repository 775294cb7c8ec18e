public import CCrypto

/// One TLS connection as bytes in, bytes out: an OpenSSL `SSL` between two memory BIOs. The
/// network's bytes go in with `receive`, plaintext comes out through a closure; plaintext goes in
/// with `write`, and what must go on the wire is taken with `takeCiphertext`. No socket, no loop,
/// no blocking: the caller decides when to send.
public final class TLSSession {
    public enum State: Equatable, Sendable {
        case handshaking
        case established
        /// The peer sent close_notify, or we did.
        case closed
        /// The handshake or a record failed; the reason is OpenSSL's.
        case failed(String)
    }

    /// What one `receive` call changed.
    public struct ReceiveOutcome: Equatable, Sendable {
        /// The handshake completed during this call.
        public var handshakeCompleted = false
        /// The peer closed the TLS session (close_notify).
        public var peerClosed = false
        /// The session failed during this call (the alert to send is in the ciphertext).
        public var failure: String?
    }

    let context: TLSContext
    private let ssl: OpaquePointer
    /// Network → OpenSSL.
    private let networkIn: OpaquePointer
    /// OpenSSL → network.
    private let networkOut: OpaquePointer
    public private(set) var state = State.handshaking
    /// Plaintext written before the handshake finished; sent right after it.
    private var early: [UInt8] = []
    /// Bytes gathered by `seal` for one SSL_write.
    private var coalesced = 0

    init(context: TLSContext, serverName: String?) {
        self.context = context
        ssl = SSL_new(context.context)
        networkIn = BIO_new(BIO_s_mem())
        networkOut = BIO_new(BIO_s_mem())
        // An empty input BIO means "wait for more", not end of file.
        _ = stampede_bio_set_mem_eof_return(networkIn, -1)
        _ = stampede_bio_set_mem_eof_return(networkOut, -1)
        SSL_set_bio(ssl, networkIn, networkOut)
        if context.isServer {
            SSL_set_accept_state(ssl)
        } else {
            if let serverName { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: serverName)) }
            SSL_set_connect_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs
    }

    /// The negotiated protocol, e.g. "TLSv1.3" (empty before the handshake).
    public var protocolVersion: String { state == .established ? String(cString: SSL_get_version(ssl)) : "" }

    /// The subject of the client's verified certificate, one line (nil without one).
    public var peerCertificateSubject: String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard let name = X509_get_subject_name(certificate), let line = X509_NAME_oneline(name, nil, 0) else { return nil }
        defer { CRYPTO_free(line, #file, #line) }
        return String(cString: line)
    }

    /// Network bytes in: drives the handshake, and hands each run of decrypted bytes to
    /// `plaintext` (pointing into a shared scratch buffer: valid during that call only).
    public func receive(_ bytes: UnsafeRawBufferPointer, plaintext: (UnsafeRawBufferPointer) -> Void) -> ReceiveOutcome {
        var outcome = ReceiveOutcome()
        guard state == .handshaking || state == .established else { return outcome }
        if let base = bytes.baseAddress, bytes.count > 0 { BIO_write(networkIn, base, Int32(bytes.count)) }
        if state == .handshaking {
            guard advanceHandshake(&outcome) else { return outcome }
        }
        let scratch = context.readScratch
        while state == .established {
            ERR_clear_error()
            let count = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
            if count > 0 {
                plaintext(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(count)))
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return outcome
            case SSL_ERROR_ZERO_RETURN:
                state = .closed
                outcome.peerClosed = true
            default:
                fail(&outcome)
            }
        }
        return outcome
    }

    /// Runs the handshake as far as the input allows; false when it is not complete (or failed).
    private func advanceHandshake(_ outcome: inout ReceiveOutcome) -> Bool {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .established
            outcome.handshakeCompleted = true
            if !early.isEmpty {
                let pending = early
                early = []
                pending.withUnsafeBytes { write($0) }
            }
            return true
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return false
        default:
            fail(&outcome)
            return false
        }
    }

    private func fail(_ outcome: inout ReceiveOutcome) {
        var reason = TLSContext.lastError()
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            reason += " (\(String(cString: text)))"
        }
        state = .failed(reason)
        outcome.failure = reason
    }

    /// Plaintext out: encrypted into the outgoing ciphertext at once, or kept until the handshake
    /// is done. Ignored once closed or failed.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        switch state {
        case .handshaking:
            early.append(contentsOf: bytes)
            if !context.isServer {
                // A client speaks first: start the handshake (the ClientHello goes out).
                var outcome = ReceiveOutcome()
                _ = advanceHandshake(&outcome)
            }
        case .established:
            var offset = 0
            while offset < bytes.count {
                ERR_clear_error()
                let written = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
                guard written > 0 else {
                    var outcome = ReceiveOutcome()
                    fail(&outcome)
                    return
                }
                offset += Int(written)
            }
        case .closed, .failed:
            return
        }
    }

    /// Gathers small plaintext pieces into one TLS record (up to 16 KiB) instead of one record
    /// each; `endSeal` writes what is gathered. Large pieces go straight through.
    public func seal(_ bytes: UnsafeRawBufferPointer) {
        let scratch = context.writeScratch
        if coalesced + bytes.count > scratch.count { endSeal() }
        if bytes.count >= scratch.count {
            write(bytes)
            return
        }
        UnsafeMutableRawBufferPointer(rebasing: scratch[coalesced..<(coalesced + bytes.count)]).copyMemory(from: bytes)
        coalesced += bytes.count
    }

    /// Writes the plaintext `seal` gathered.
    public func endSeal() {
        guard coalesced > 0 else { return }
        let count = coalesced
        coalesced = 0
        write(UnsafeRawBufferPointer(start: context.writeScratch.baseAddress, count: count))
    }

    /// Sends close_notify (once); nothing after a failure.
    public func close() {
        guard state == .established || state == .closed else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        state = .closed
    }

    /// Hands the ciphertext waiting to be sent to `send` (pointing into OpenSSL's buffer: valid
    /// during the call only), then forgets it.
    public func takeCiphertext(_ send: (UnsafeRawBufferPointer) -> Void) {
        let scratch = context.cipherScratch
        while stampede_bio_pending(networkOut) > 0 {
            let count = BIO_read(networkOut, scratch.baseAddress, Int32(scratch.count))
            guard count > 0 else { return }
            send(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(count)))
        }
    }

    /// Ciphertext waiting to be sent.
    public var pendingCiphertextCount: Int { Int(stampede_bio_pending(networkOut)) }
}
