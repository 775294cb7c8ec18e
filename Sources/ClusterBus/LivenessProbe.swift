/// Whether the cluster link still answers, decided without I/O (times in milliseconds from an
/// injected monotonic clock). A TCP connection to a server that stopped (SIGSTOP, a frozen VM,
/// a path that drops packets without a reset) stays "connected" for minutes; only an answer
/// proves the link works. The shell sends one probe per interval while the link is connected;
/// a probe unanswered after `timeout` makes the link *stalled*, and after `reconnectAfter` the
/// shell drops the connection and connects again. A probe answered ends the stall.
///
/// A probe counts as answered only when every part of it came back (for Redis: the reply to the
/// PUBLISH on the command connection and the message on the subscriber connection), so one
/// probe covers both connections.
public struct LivenessProbe: Sendable {
    public enum Action: Equatable, Sendable {
        /// Send probe `sequence` (both parts).
        case send(sequence: UInt64)
        /// No answer within the timeout: the link is stalled from now on.
        case stalled(sinceMilliseconds: UInt64)
        /// The stall ended: a probe was answered `afterMilliseconds` after the stall's first unanswered probe was sent.
        case recovered(afterMilliseconds: UInt64)
        /// Still no answer after `reconnectAfter`: drop the connection(s) and connect again.
        case reconnect
    }

    /// The parts of one probe that must come back.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let reply = Parts(rawValue: 1)
        public static let echo = Parts(rawValue: 2)
        public static let all: Parts = [.reply, .echo]
    }

    public let intervalMilliseconds: UInt64
    public let timeoutMilliseconds: UInt64
    public let reconnectAfterMilliseconds: UInt64

    /// The probe awaiting its answer: sequence, when it was sent, parts already back.
    private var outstanding: (sequence: UInt64, sentAt: UInt64, received: Parts)?
    private var nextSequence: UInt64 = 1
    /// When the first unanswered probe of the current stall was sent.
    public private(set) var stalledSince: UInt64?
    /// Stalls entered since start.
    public private(set) var stalls: UInt64 = 0
    /// Connection drops asked for since start.
    public private(set) var reconnects: UInt64 = 0
    /// Since when the current stall has gone without a reconnect (its start, or the last drop).
    private var reconnectClock: UInt64 = 0

    public init(intervalMilliseconds: UInt64, timeoutMilliseconds: UInt64, reconnectAfterMilliseconds: UInt64) {
        self.intervalMilliseconds = max(intervalMilliseconds, 1)
        self.timeoutMilliseconds = max(timeoutMilliseconds, 1)
        self.reconnectAfterMilliseconds = max(reconnectAfterMilliseconds, self.timeoutMilliseconds)
    }

    public var isStalled: Bool { stalledSince != nil }

    /// Called every `intervalMilliseconds`. `linkUp`: the connections are established (a link
    /// that is down is already reported as such; there is nothing to probe).
    public mutating func tick(now: UInt64, linkUp: Bool) -> [Action] {
        guard linkUp else {
            // Answers to a probe sent on a connection that is gone never come: start afresh once
            // it is back. A stall goes on until a probe on the new connection is answered.
            outstanding = nil
            return []
        }
        guard let probe = outstanding else {
            return [sendNext(now: now)]
        }
        let waited = now >= probe.sentAt ? now - probe.sentAt : 0
        var actions: [Action] = []
        if stalledSince == nil, waited >= timeoutMilliseconds {
            stalledSince = probe.sentAt
            stalls += 1
            reconnectClock = probe.sentAt
            actions.append(.stalled(sinceMilliseconds: probe.sentAt))
        }
        if stalledSince != nil, now >= reconnectClock, now - reconnectClock >= reconnectAfterMilliseconds {
            reconnectClock = now
            reconnects += 1
            outstanding = nil
            actions.append(.reconnect)
        }
        return actions
    }

    /// A part of probe `sequence` came back. Parts of older probes are ignored.
    public mutating func received(_ part: Parts, sequence: UInt64, now: UInt64) -> [Action] {
        guard var probe = outstanding, probe.sequence == sequence else { return [] }
        probe.received.formUnion(part)
        guard probe.received == .all else {
            outstanding = probe
            return []
        }
        outstanding = nil
        guard let since = stalledSince else { return [] }
        stalledSince = nil
        return [.recovered(afterMilliseconds: now >= since ? now - since : 0)]
    }

    private mutating func sendNext(now: UInt64) -> Action {
        let sequence = nextSequence
        nextSequence += 1
        outstanding = (sequence, now, [])
        return .send(sequence: sequence)
    }
}
