internal import STOMPWire
internal import STOMPSession
internal import UVLoop
internal import Auth
internal import Webhooks

/// A CONNECT judged by a users-file passcode: PBKDF2 is deliberately slow (tens of milliseconds),
/// so it runs on libuv's thread pool while this connection waits, unread, and every other
/// connection goes on. At most `limits.max-pending-password-checks` run at once node-wide; a
/// CONNECT beyond that is refused as busy rather than queued without bound.
extension ClientConnection {
    /// True when the CONNECT was taken over (checked off the loop, or refused as busy).
    func checkPasswordOffLoop(_ frame: STOMPFrame) -> Bool {
        guard let endpoint else { return false }
        var judge = EndpointAuthenticator(endpoint: endpoint, access: node.access, handshakeIdentity: handshakeIdentity, now: node.unixSeconds)
        let credentials = ConnectCredentials(login: frame["login"], passcode: frame["passcode"], headers: Array(frame.headers),
                                             session: id, endpoint: endpointName)
        guard let check = judge.passwordToCheck(credentials) else { return false }
        guard node.pendingPasswordChecks < node.configuration.maxPendingPasswordChecks else {
            node.counters.rateLimited["password_checks", default: 0] += 1
            node.log(refused: self, reason: "too many logins in progress")
            receive(frame, authenticator: HookDecisionAuthenticator(decision: .refuse("server busy: too many logins in progress, retry")))
            return true
        }
        node.pendingPasswordChecks += 1
        heldActions = []
        tcp.pauseReading()
        let (passcode, hash) = check
        let queued = BackgroundWork.run(on: node.loop, { PasswordHash.verify(passcode, against: hash) }) { [weak self, unowned node] verdict in
            node.pendingPasswordChecks -= 1
            guard let self, self.heldActions != nil, self.isOpen else { return }
            self.heldActions = nil
            self.tcp.resumeReading()
            judge.passwordVerdict = verdict
            self.receive(frame, authenticator: judge)
            self.processDecodedFrames()
        }
        if !queued {
            // The pool refused the job: judge it here rather than not at all.
            node.pendingPasswordChecks -= 1
            heldActions = nil
            tcp.resumeReading()
            return false
        }
        return true
    }
}
