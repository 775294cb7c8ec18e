internal import WebSocketWire
internal import UVLoop
internal import FlowControl
internal import Auth
internal import Broker

/// Holding a client back and letting it go: the inbound rate limits, the slow-consumer rule, and
/// reading resumed after the node's own pauses (flow control, memory budget).
extension ClientConnection {
    /// Over the inbound rate: stop reading (back-pressure) until the buckets are out of debt, when
    /// the node's rate-resume timer reads it again; `tick` ends a connection that stays over the rate.
    func overRate(now: UInt64) {
        guard let rateLimits else { return }
        if rateLimits.overSince == nil {
            rateLimits.overSince = now
            node.counters.rateLimited["inbound_rate", default: 0] += 1
        }
        tcp.pauseReading(.rateLimit)
        node.scheduleRateResume(id, at: now &+ max(1, rateLimits.millisecondsUntilOutOfDebt))
    }

    /// Called from `tick`: resumes reading when the debt is paid; closes after a sustained excess.
    func checkRate(now: UInt64) -> Bool {
        guard let rateLimits, let since = rateLimits.overSince else { return true }
        rateLimits.frames?.refill(now: now)
        rateLimits.bytes?.refill(now: now)
        let inDebt = (rateLimits.frames?.tokens ?? 0) < 0 || (rateLimits.bytes?.tokens ?? 0) < 0
        if !inDebt {
            rateLimits.overSince = nil
            tcp.resumeReading(.rateLimit)
            return true
        }
        if now &- since > node.configuration.rateExcessMilliseconds {
            node.counters.rateLimited["inbound_rate_close", default: 0] += 1
            node.log(refused: self, reason: "inbound rate limit exceeded")
            terminate("too many frames or bytes per second", closeCode: WebSocketCloseCode.policyViolation)
            return false
        }
        return true
    }

    /// Judges the backlog (`SlowConsumerRule`) and cuts the connection off when it is a slow consumer.
    func isSlowConsumer(now: UInt64) -> Bool {
        switch node.slowConsumerRule.judge(heldBytes: tcp.heldOutputBytes, overSince: overLimitSince, now: now) {
        case .withinLimit:
            overLimitSince = nil
            return false
        case .overLimit(let since):
            overLimitSince = since
            return false
        case .slowConsumer:
            node.counters.slowConsumers += 1
            node.log(refused: self, reason: "slow consumer: output buffer limit reached")
            cutOff("slow consumer: more than \(node.slowConsumerRule.limitBytes) bytes waiting to be read")
            return true
        }
    }

    /// Ends the connection at once with an ERROR that overtakes the backlog: queued frames not
    /// yet started on the wire are dropped, so the ERROR (and WebSocket close 1008) follow the
    /// frame being written.
    func cutOff(_ message: String) {
        guard isOpen else { return }
        tcp.discardUnstartedFrames()
        terminate(message, closeCode: WebSocketCloseCode.policyViolation)
    }

    /// Reading resumes after a pause of the node's. After flow control (a publisher between
    /// frames or inside one) the frame deadline does not count the time the node held the client
    /// back. After a budget pause it does: that pause is for partial frames holding more than
    /// their share, and a client inside a big frame must still finish within the deadline of its
    /// first byte, or hundreds stalled on purpose would each get a fresh deadline when let through.
    func resumeReading(_ reason: ReadPauses) {
        tcp.resumeReading(reason)
        if reason != .memoryBudget { partialFrame.restart(now: node.now) }
    }
}

/// A connection's inbound rate limits (`limits.frames-per-second`, `limits.bytes-per-second`),
/// allocated only when one is on: most nodes run without them, and inline they cost every
/// connection about 90 bytes.
final class InboundRateLimits {
    var frames: TokenBucket?
    var bytes: TokenBucket?
    /// Since when the connection has been over its inbound rate without a break.
    var overSince: UInt64?

    /// Until both buckets are at zero or above again.
    var millisecondsUntilOutOfDebt: UInt64 {
        max(frames?.millisecondsUntilPositive() ?? 0, bytes?.millisecondsUntilPositive() ?? 0)
    }

    /// Nil when neither limit is set (0).
    init?(framesPerSecond: Double, bytesPerSecond: Double, now: UInt64) {
        guard framesPerSecond > 0 || bytesPerSecond > 0 else { return nil }
        if framesPerSecond > 0 { frames = TokenBucket(ratePerSecond: framesPerSecond, burst: 2 * framesPerSecond, now: now) }
        if bytesPerSecond > 0 { bytes = TokenBucket(ratePerSecond: bytesPerSecond, burst: 2 * bytesPerSecond, now: now) }
    }
}

extension Node {
    /// Reads `id` again at `due` (loop milliseconds), when its rate-limit debt is paid, instead of
    /// at the next tick: one node-wide timer set to the earliest due connection.
    func scheduleRateResume(_ id: SessionID, at due: UInt64) {
        rateResumes[id] = due
        armRateResumeTimer()
    }

    private func armRateResumeTimer() {
        guard let next = rateResumes.values.min() else {
            rateResumeTimer?.stop()
            return
        }
        if rateResumeTimer == nil { rateResumeTimer = Timer(loop: loop) }
        let now = self.now
        rateResumeTimer?.start(afterMilliseconds: next > now ? next - now : 0) { [unowned self] in self.resumeRateLimited() }
    }

    private func resumeRateLimited() {
        let now = self.now
        for (id, due) in rateResumes where due <= now {
            rateResumes[id] = nil
            guard let connection = connections[id], connection.isOpen, connection.checkRate(now: now),
                  let limits = connection.rateLimits, limits.overSince != nil else { continue }
            rateResumes[id] = now &+ max(1, limits.millisecondsUntilOutOfDebt)  // still in debt (time rounding)
        }
        armRateResumeTimer()
    }
}
