/// The channels (or patterns) a subscriber wants, which of them the server has acknowledged in
/// the current session, and the confirmations waiting for an acknowledgement. Pure bookkeeping:
/// `RedisSubscriber` sends what it says and feeds it the server's acks.
///
/// Acks are counted per name: after SUBSCRIBE a, UNSUBSCRIBE a, SUBSCRIBE a, only the second
/// subscribe ack confirms (the first is followed by the unsubscribe).
struct SubscriptionTable {
    typealias Confirmation = () -> Void

    private struct Entry {
        var acknowledged = false
        var confirmations: [Confirmation] = []
    }

    private var entries: [[UInt8]: Entry] = [:]
    /// Subscribe acks still expected in this session, per name (outlives an entry's removal).
    private var acksDue: [[UInt8]: Int] = [:]

    enum AddOutcome: Equatable {
        /// New name while connected: send a subscribe command, then call `didSend`.
        case send
        /// Already acknowledged: run the confirmation (on a later loop turn).
        case confirmNow
        /// Nothing to do now: a (re)connect or an awaited ack takes it from here.
        case wait
    }

    /// Names wanted.
    var count: Int { entries.count }

    /// Names the server has acknowledged in the current session.
    var acknowledgedCount: Int { entries.values.reduce(0) { $0 + ($1.acknowledged ? 1 : 0) } }

    /// All wanted names.
    var names: [[UInt8]] { Array(entries.keys) }

    func wants(_ name: [UInt8]) -> Bool {
        entries[name] != nil
    }

    func isAcknowledged(_ name: [UInt8]) -> Bool {
        entries[name]?.acknowledged ?? false
    }

    mutating func add(_ name: [UInt8], confirmation: Confirmation?, connected: Bool) -> AddOutcome {
        if var entry = entries[name] {
            guard let confirmation else { return .wait }
            if entry.acknowledged { return .confirmNow }
            entry.confirmations.append(confirmation)
            entries[name] = entry
            return .wait
        }
        entries[name] = Entry(confirmations: confirmation.map { [$0] } ?? [])
        return connected ? .send : .wait
    }

    /// Forgets a name and its pending confirmations; `true` if it was wanted.
    mutating func remove(_ name: [UInt8]) -> Bool {
        entries.removeValue(forKey: name) != nil
    }

    /// A subscribe command for `names` went out in the current session.
    mutating func didSend(_ names: [[UInt8]]) {
        for name in names { acksDue[name, default: 0] += 1 }
    }

    /// The server acknowledged a subscription; returns the confirmations to run now.
    mutating func acknowledge(_ name: [UInt8]) -> [Confirmation] {
        guard let due = acksDue[name] else { return [] }
        if due > 1 {
            acksDue[name] = due - 1
            return []
        }
        acksDue[name] = nil
        guard var entry = entries[name], !entry.acknowledged else { return [] }
        entry.acknowledged = true
        let confirmations = entry.confirmations
        entry.confirmations = []
        entries[name] = entry
        return confirmations
    }

    /// The session ended: nothing is acknowledged any more; confirmations keep waiting.
    mutating func sessionEnded() {
        acksDue.removeAll()
        for name in entries.keys { entries[name]?.acknowledged = false }
    }

    /// Drops everything, confirmations included (the subscriber was closed).
    mutating func removeAll() {
        entries.removeAll()
        acksDue.removeAll()
    }
}
