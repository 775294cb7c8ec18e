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
    private var entries: [SessionID: Unmanaged<ClientConnection>] = [:]

    /// The connection of `session`, if it is open.
    subscript(session: SessionID) -> ClientConnection? {
        entries[session]?.takeUnretainedValue()
    }

    /// The connection of `session` as an uncounted reference, for the per-delivery path
    /// (use it with `_withUnsafeGuaranteedRef`). Returned rather than passed to a closure: a
    /// call made while the table was being read retained the table's storage around it.
    func unretained(_ session: SessionID) -> Unmanaged<ClientConnection>? {
        entries[session]
    }

    mutating func insert(_ connection: ClientConnection) {
        entries[connection.id] = .passUnretained(connection)
    }

    /// Forgets the connection of `session`; returns it (still alive: its socket owns it).
    @discardableResult
    mutating func removeValue(forKey session: SessionID) -> ClientConnection? {
        entries.removeValue(forKey: session)?.takeUnretainedValue()
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var keys: Dictionary<SessionID, Unmanaged<ClientConnection>>.Keys { entries.keys }
    /// The connections, as an array (callers may close connections while they go through it).
    var values: [ClientConnection] { entries.values.map { $0.takeUnretainedValue() } }
}
