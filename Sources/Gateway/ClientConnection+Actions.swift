internal import Broker
internal import STOMPSession
internal import UVLoop
internal import Webhooks
internal import WebSocketWire

/// Carrying out what the session decided: each action in order, broker operations through the
/// node, and the actions held while the cluster confirms a new interest.
extension ClientConnection {
    /// Carries session actions out in order; a refused broker operation turns into an ERROR.
    func apply(_ actions: consuming [SessionAction]) {
        var actions = actions
        carryOut(&actions)
    }

    /// `apply` of an array the caller keeps (and empties) afterwards; every action in it is
    /// moved out and its slot left holding `.close`, which is never read.
    func carryOut(_ actions: inout [SessionAction]) {
        for index in actions.indices {
            // Moved out of the array, its slot left holding nothing: a copy retained the SEND's
            // header and body arrays and released them again (issue 13). Only later slots are
            // read after this (`heldActions`).
            var action = SessionAction.close
            swap(&action, &actions[index])
            switch consume action {
            case .send(let frame):
                write(frame)
            case .sendHeartBeat:
                writeRaw([0x0A])
            case .perform(let operation, let receipt):
                do {
                    var subscribed: (destination: String, id: String)?
                    if case .subscribe(let id, let destination, _, _) = operation { subscribed = (destination, id) }
                    // Moved in: a SEND's header and body arrays become the message's (issue 13).
                    let outcome = try node.perform(consume operation, receipt: receipt, for: self)
                    if let subscribed {
                        node.notifySessionEvent(.subscribe(destination: subscribed.destination, subscription: subscribed.id), self)
                    }
                    if outcome == .waitForCluster {
                        heldActions = Array(actions[(index + 1)...])
                        tcp.pauseReading()
                        return
                    }
                } catch {
                    errorCloseCode = WebSocketCloseCode.policyViolation
                    node.log(refused: self, reason: error.message)
                    apply(session.operationFailed(error.message, receipt: receipt))
                    return
                }
            case .close:
                beginClose()
            }
        }
    }

    /// The cluster confirmed the interest: carry out the held actions, then go on reading.
    func resumeAfterCluster() {
        guard let held = heldActions else { return }
        heldActions = nil
        guard isOpen else { return }
        tcp.resumeReading()
        apply(held)
        if json != nil { return resumeJSON() }
        processDecodedFrames()
    }

    /// What the held actions waited for failed (an offline message that could not be kept):
    /// the ERROR goes out instead of the held RECEIPT.
    func failAfterCluster(_ message: String, receipt: String?) {
        guard heldActions != nil else { return }
        heldActions = nil
        guard isOpen else { return }
        node.log(refused: self, reason: message)
        apply(session.operationFailed(message, receipt: receipt))
    }
}
