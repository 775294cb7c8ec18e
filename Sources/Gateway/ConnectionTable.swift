internal import Broker

/// The node's live client connections by session, held unowned.
///
/// Each connection is owned by its socket (`TCPConnection.delegate`) from the accept until the
/// close callback, and leaves this table before either ends: `Node.connectionClosed` runs inside
/// that callback, and a SockJS hand-off removes the connection before the socket changes owner.
/// Unowned so that looking a subscriber up per delivery costs no reference counting: a counted
/// reference was an atomic retain and release of the connection per MESSAGE, and that first
/// atomic operation after the frame's copies waited for their stores (about a fifth of the
/// node's time in fan-out, issue 13).
struct ConnectionTable {
    private var entries: [Key: Unmanaged<ClientConnection>] = [:]

    /// A session id as the table's key, hashed by a 64-bit mix (splitmix64's finalizer) instead
    /// of the standard library's SipHash: the lookup is made per delivery, and SipHash was about
    /// 100 instructions of a fan-out delivery's 1,800 (issue 13). Session ids are the node's own
    /// sequence numbers, never chosen by a client, so the table needs no defence against
    /// crafted collisions; the dictionary's per-instance seed is still mixed in.
    struct Key: Hashable {
        let session: SessionID

        func hash(into hasher: inout Hasher) { hasher.combine(session) }

        func _rawHashValue(seed: Int) -> Int {
            var mixed = session ^ UInt64(truncatingIfNeeded: seed)
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: mixed ^ (mixed >> 31))
        }
    }

    /// The connection of `session`, if it is open.
    subscript(session: SessionID) -> ClientConnection? {
        entries[Key(session: session)]?.takeUnretainedValue()
    }

    /// The connection of `session` as an uncounted reference, for the per-delivery path
    /// (use it with `_withUnsafeGuaranteedRef`). Returned rather than passed to a closure: a
    /// call made while the table was being read retained the table's storage around it.
    func unretained(_ session: SessionID) -> Unmanaged<ClientConnection>? {
        entries[Key(session: session)]
    }

    mutating func insert(_ connection: ClientConnection) {
        entries[Key(session: connection.id)] = .passUnretained(connection)
    }

    /// Forgets the connection of `session`; returns it (still alive: its socket owns it).
    @discardableResult
    mutating func removeValue(forKey session: SessionID) -> ClientConnection? {
        entries.removeValue(forKey: Key(session: session))?.takeUnretainedValue()
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// The sessions, in no particular order.
    var sessions: [SessionID] { entries.keys.map(\.session) }
    /// The connections, as an array (callers may close connections while they go through it).
    var values: [ClientConnection] { entries.values.map { $0.takeUnretainedValue() } }
}
