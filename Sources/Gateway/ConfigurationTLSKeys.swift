public import TLS

extension ConfigurationLoader {
    /// TLS for the listeners that face clients: one certificate per node, and each listener says
    /// whether it uses it (`listen.websocket-tls`, `listen.stomp-tls`, `admin.tls`, `api.tls`, and
    /// `tls=on` of an endpoint on its own port).
    static var tlsKeys: [ConfigurationKey] {
        [
            .boolean("listen.websocket-tls", \.webSocketTLS, "Serve the WebSocket listener over TLS (wss://) with tls.cert-file and tls.key-file."),
            .boolean("listen.stomp-tls", \.stompTLS, "Serve the raw STOMP listener over TLS (stomp+ssl) with tls.cert-file and tls.key-file."),
            .optionalText("tls.cert-file", \.tlsCertificateFile, type: "path", expected: "a path to a PEM file, or empty for none",
                          isValid: { !$0.isEmpty }, "PEM certificate chain (server certificate first) for the TLS listeners; re-read on SIGHUP."),
            .optionalText("tls.key-file", \.tlsKeyFile, type: "path", expected: "a path to a PEM file, or empty for none",
                          isValid: { !$0.isEmpty }, "PEM private key of tls.cert-file; re-read on SIGHUP."),
            .optionalText("tls.client-ca-file", \.tlsClientCAFile, type: "path", expected: "a path to a PEM file, or empty for none",
                          isValid: { !$0.isEmpty }, "PEM CA certificates that sign accepted client certificates; empty asks for none."),
            .boolean("tls.require-client-cert", \.tlsRequireClientCertificate,
                     "With tls.client-ca-file: refuse clients without a valid certificate (otherwise one is optional)."),
            .choice("tls.min-version", \.tlsMinimumVersion, names: ["1.2", "1.3"], "Lowest TLS version accepted."),
            .text("tls.ciphers", \.tlsCiphers, expected: "an OpenSSL cipher list", isValid: { !$0.contains(" ") },
                  "OpenSSL cipher list for TLS 1.2 (TLS 1.3 uses OpenSSL's default suites)."),
        ]
    }

    /// A listener with TLS needs the certificate and the key. Checked when the node starts (not
    /// at load, so that each key can be set on its own, in any order of sources).
    public static func checkTLSConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        let users = ([("listen.websocket-tls", configuration.webSocketTLS), ("listen.stomp-tls", configuration.stompTLS),
                      ("admin.tls", configuration.adminTLS), ("api.tls", configuration.apiTLS)]
            + configuration.endpoints.map { ("listen.endpoints.\($0.name) tls=on", $0.tls) }).filter(\.1)
        guard let first = users.first else { return }
        if configuration.tlsCertificateFile == nil {
            throw ConfigurationError(.inconsistentValues, key: "tls.cert-file", "\(first.0) is on, so tls.cert-file must be set")
        }
        if configuration.tlsKeyFile == nil {
            throw ConfigurationError(.inconsistentValues, key: "tls.key-file", "\(first.0) is on, so tls.key-file must be set")
        }
        if configuration.tlsRequireClientCertificate && configuration.tlsClientCAFile == nil {
            throw ConfigurationError(.inconsistentValues, key: "tls.client-ca-file", "tls.require-client-cert is on, so tls.client-ca-file must be set")
        }
    }
}

extension NodeConfiguration {
    /// The TLS settings, when a certificate and key are configured.
    public var tlsSettings: TLSSettings? {
        guard let certificate = tlsCertificateFile, let key = tlsKeyFile else { return nil }
        return TLSSettings(certificateFile: certificate, privateKeyFile: key, clientCAFile: tlsClientCAFile,
                           requireClientCertificate: tlsRequireClientCertificate, minimumVersion: tlsMinimumVersion,
                           ciphers: tlsCiphers)
    }

    /// Some listener serves TLS.
    public var usesTLS: Bool { webSocketTLS || stompTLS || adminTLS || apiTLS || endpoints.contains(where: \.tls) }
}
