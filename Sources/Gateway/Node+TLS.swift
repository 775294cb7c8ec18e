internal import Logging
internal import TLS
internal import UVLoop
internal import Glibc

/// TLS on the client-facing listeners: the node's one server context, the layer each accepted
/// connection gets, handshake outcomes (logged, counted), and the certificate reload on SIGHUP.
extension Node {
    /// Loads the certificate when some listener uses TLS; throws a one-line reason.
    func loadTLSContext() throws {
        try ConfigurationLoader.checkTLSConsistency(configuration)
        guard configuration.usesTLS, let settings = configuration.tlsSettings else { return }
        tlsContext = try TLSContext(server: settings)
    }

    /// Puts a TLS layer under a freshly accepted connection (before it reads or writes).
    func secure(_ tcp: TCPConnection, listener: String) {
        guard let context = tlsContext else { return }
        let peer = tcp.peerAddress
        tcp.secure(with: TLSSecurityLayer(session: context.makeSession()) { [weak self] failure in
            guard let self else { return }
            if let failure {
                self.counters.tlsHandshakeFailures[listener, default: 0] += 1
                self.logger.info("tls handshake failed", metadata: ["peer": "\(peer)", "listener": "\(listener)", "reason": "\(failure)"])
            } else {
                self.counters.tlsHandshakesCompleted[listener, default: 0] += 1
            }
        })
    }

    /// SIGHUP: reads the certificate and key again. New connections use the new context; open
    /// ones keep theirs. A failed reload keeps the old certificate and says why.
    func reloadTLSCertificate() {
        guard configuration.usesTLS, let settings = configuration.tlsSettings else {
            logger.notice("SIGHUP received: no TLS listener, nothing to reload")
            return
        }
        do {
            tlsContext = try TLSContext(server: settings)
            counters.tlsReloads += 1
            logger.notice("tls certificate reloaded", metadata: ["tls.cert-file": "\(settings.certificateFile)"])
        } catch {
            counters.tlsReloadFailures += 1
            logger.error("tls certificate reload failed, keeping the previous one", metadata: ["reason": "\(error.description)"])
        }
    }

    func installReloadSignal() throws {
        signals.append(try SignalWatcher(loop: loop, signal: SIGHUP) { [unowned self] _ in
            self.reloadTLSCertificate()
        })
    }
}
