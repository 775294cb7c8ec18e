internal import Logging
internal import LogOutput
internal import STOMPSession
internal import UVLoop

/// The session lifecycle at info: one line when a session is CONNECTED, one when it ends (reason,
/// duration), within `log.session-lines-per-second` so that a reconnect storm cannot make the
/// logs the bottleneck (lines over budget are counted in /metrics and reported by the next line).
extension Node {
    func logSessionConnected(_ connection: ClientConnection) {
        guard let suppressed = admitSessionLine() else { return }
        var metadata = sessionMetadata(connection)
        if suppressed > 0 { metadata["log.suppressed"] = "\(suppressed)" }
        logger.info("session connected", metadata: metadata)
    }

    func logSessionClosed(_ connection: ClientConnection, reason: String) {
        guard let suppressed = admitSessionLine() else { return }
        var metadata = sessionMetadata(connection)
        metadata["reason"] = "\(reason)"
        metadata["duration.ms"] = "\(now &- connection.acceptedAt)"
        if suppressed > 0 { metadata["log.suppressed"] = "\(suppressed)" }
        logger.info("session closed", metadata: metadata)
    }

    /// nil when over budget, else how many lines were left out before this one.
    private func admitSessionLine() -> Int? {
        let verdict = sessionLineBudget.admit(nowMilliseconds: now)
        return verdict.allowed ? verdict.suppressedBefore : nil
    }

    private func sessionMetadata(_ connection: ClientConnection) -> Logger.Metadata {
        [
            "stomp.session": "\(connection.id)",
            "user": "\(connection.session.user ?? "-")",
            "transport": "\(connection.transport.rawValue)",
            "tls": "\(connection.tcp.isSecured)",
            "peer": "\(connection.clientPeer)",
        ]
    }
}
