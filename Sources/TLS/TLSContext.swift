public import CCrypto

/// Why a TLS context could not be made; `description` names the file and OpenSSL's reason.
public struct TLSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

/// What a listener's TLS needs: its certificate chain and key, and optionally the CAs whose
/// client certificates it accepts.
public struct TLSSettings: Sendable, Equatable {
    /// PEM file with the server certificate first, then any intermediates.
    public var certificateFile: String
    /// PEM file with the certificate's private key.
    public var privateKeyFile: String
    /// PEM file of CAs for client certificates; nil asks for none.
    public var clientCAFile: String?
    /// With `clientCAFile`: refuse clients without a certificate (otherwise it is optional).
    public var requireClientCertificate: Bool
    /// Lowest protocol version: "1.2" or "1.3".
    public var minimumVersion: String
    /// OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults).
    public var ciphers: String

    /// Forward-secret AEAD suites only (Mozilla's "intermediate" list without DHE).
    public static let defaultCiphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil,
                requireClientCertificate: Bool = false, minimumVersion: String = "1.2",
                ciphers: String = TLSSettings.defaultCiphers) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
        self.requireClientCertificate = requireClientCertificate
        self.minimumVersion = minimumVersion
        self.ciphers = ciphers
    }
}

/// An OpenSSL `SSL_CTX` with its certificate loaded: server side for listeners, client side for
/// the benchmark tool and tests. Sessions keep their context alive, so a reload (SIGHUP) builds a
/// new context for new connections while open ones go on with the old. Loop-confined: it owns
/// the scratch buffers its sessions read and write through.
public final class TLSContext {
    let context: OpaquePointer
    /// SSL_read output and the write coalescing buffer, shared by the context's sessions (one
    /// thread, and each is used only within one call).
    let readScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    let writeScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    /// Ciphertext on its way from OpenSSL's output BIO to the connection's queue (which copies).
    let cipherScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 16)
    /// Whether sessions accept (server) or connect (client).
    public let isServer: Bool

    /// A server context: loads and checks the certificate and key, sets TLS 1.2+ (or 1.3) and
    /// the cipher list, and the client CA when given.
    public init(server settings: TLSSettings) throws(TLSConfigurationError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSConfigurationError(description: "cannot create a TLS context: \(TLSContext.lastError())")
        }
        self.context = context
        self.isServer = true
        try configureCommon(minimumVersion: settings.minimumVersion, ciphers: settings.ciphers)
        ERR_clear_error()
        guard SSL_CTX_use_certificate_chain_file(context, settings.certificateFile) == 1 else {
            throw TLSConfigurationError(description: "cannot load tls.cert-file \(settings.certificateFile): \(TLSContext.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, settings.privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSConfigurationError(description: "cannot load tls.key-file \(settings.privateKeyFile): \(TLSContext.lastError())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSConfigurationError(description: "tls.key-file \(settings.privateKeyFile) does not match tls.cert-file \(settings.certificateFile)")
        }
        let sessionContext: [UInt8] = Array("stampede".utf8)
        SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        if let caFile = settings.clientCAFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1, let names = SSL_load_client_CA_file(caFile) else {
                throw TLSConfigurationError(description: "cannot load tls.client-ca-file \(caFile): \(TLSContext.lastError())")
            }
            SSL_CTX_set_client_CA_list(context, names)
            let mode = SSL_VERIFY_PEER | (settings.requireClientCertificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0)
            SSL_CTX_set_verify(context, mode, nil)
        }
    }

    /// A client context (benchmarks, tests): verifies the server against `caFile` when given,
    /// otherwise accepts any certificate (loopback measurements only).
    public init(clientTrusting caFile: String?) throws(TLSConfigurationError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSConfigurationError(description: "cannot create a TLS context: \(TLSContext.lastError())")
        }
        self.context = context
        self.isServer = false
        try configureCommon(minimumVersion: "1.2", ciphers: TLSSettings.defaultCiphers)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSConfigurationError(description: "cannot load CA file \(caFile): \(TLSContext.lastError())")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
    }

    private func configureCommon(minimumVersion: String, ciphers: String) throws(TLSConfigurationError) {
        let version = minimumVersion == "1.3" ? stampede_tls1_3_version() : stampede_tls1_2_version()
        guard stampede_ssl_ctx_set_min_proto_version(context, version) == 1 else {
            throw TLSConfigurationError(description: "cannot set the minimum TLS version: \(TLSContext.lastError())")
        }
        guard SSL_CTX_set_cipher_list(context, ciphers) == 1 else {
            throw TLSConfigurationError(description: "tls.ciphers '\(ciphers)' names no usable cipher: \(TLSContext.lastError())")
        }
        // Idle connections give their 34 KiB of record buffers back; memory BIOs take whole writes.
        _ = stampede_ssl_ctx_set_mode(context, stampede_ssl_mode_release_buffers() | stampede_ssl_mode_partial_write())
        _ = stampede_ssl_ctx_set_options(context, stampede_ssl_op_server_preference())
    }

    deinit {
        SSL_CTX_free(context)
        readScratch.deallocate()
        writeScratch.deallocate()
        cipherScratch.deallocate()
    }

    /// A new session for one connection.
    public func makeSession(serverName: String? = nil) -> TLSSession {
        TLSSession(context: self, serverName: serverName)
    }

    /// The oldest queued OpenSSL error as text ("unknown error" if none), and the queue cleared.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension TLSContext {
    /// Presents this certificate as a client (tests and the benchmark tool).
    public func useCertificateForTesting(_ certificateFile: String, key keyFile: String) throws(TLSConfigurationError) {
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1,
              SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSConfigurationError(description: "cannot load \(certificateFile): \(TLSContext.lastError())")
        }
    }

    /// Caps the protocol at TLS 1.2 (tests of the minimum version).
    public func setMaximumVersionForTesting12() {
        _ = stampede_ssl_ctx_set_max_proto_version(context, stampede_tls1_2_version())
    }
}
