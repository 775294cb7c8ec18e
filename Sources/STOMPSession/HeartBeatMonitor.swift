/// Heart-beat bookkeeping for one session, in milliseconds of an injected clock.
public struct HeartBeatMonitor: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case nothing
        case sendHeartBeat
        case peerTimedOut(silentFor: UInt64)
    }

    /// We send something at least this often (0 = never).
    public private(set) var outgoing: UInt64 = 0
    /// The peer promised to send this often (0 = no promise).
    public private(set) var incoming: UInt64 = 0
    public private(set) var lastReceived: UInt64
    public private(set) var lastSent: UInt64

    init(now: UInt64) {
        lastReceived = now
        lastSent = now
    }

    mutating func start(outgoing: UInt64, incoming: UInt64, now: UInt64) {
        self.outgoing = outgoing
        self.incoming = incoming
        lastReceived = now
        lastSent = now
    }

    mutating func noteReceived(now: UInt64) { lastReceived = now }
    mutating func noteSent(now: UInt64) { lastSent = now }

    /// Heart-beats go out a little early (at 80% of the interval) because checks run on a coarse
    /// tick; a peer is dead after `tolerance` whole intervals of silence.
    func check(now: UInt64, tolerance: UInt64) -> Verdict {
        if incoming > 0 {
            let silent = now &- lastReceived
            if now > lastReceived, silent > incoming * tolerance { return .peerTimedOut(silentFor: silent) }
        }
        if outgoing > 0, now >= lastSent, (now - lastSent) * 5 >= outgoing * 4 {
            return .sendHeartBeat
        }
        return .nothing
    }
}
