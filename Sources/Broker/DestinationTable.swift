/// A SEND destination parsed once: its kind and where it leads, looked up by the destination
/// string instead of re-scanning it (prefix tests, segment split for wildcards) per message.
///
/// Built by `LocalBroker.sendDestination(_:)`; `publish(to:headers:body:)` takes it as is, and
/// the node routes to the cluster by its `route`. Authorization decisions can be cached per
/// descriptor `id` too: the id changes whenever the table is emptied, so a cache keyed by it
/// never outlives the table entry it was decided for.
///
/// An immutable class: the per-SEND path copies it out of the connection's remembered
/// judgement, and a struct copy retained and released both its name and its route's name
/// (issue 13); a reference is one retain. Equality is by value.
public final class SendDestination: Sendable, Equatable {
    /// The destination as the client wrote it.
    public let name: String
    /// Small number naming this entry while it is in the table (never reused).
    public let id: UInt64
    /// Topic, queue or /user semantics, from the longest matching prefix.
    public let kind: DestinationKind
    /// Where the destination leads for the cluster layer.
    public let route: ClusterRoute

    init(name: String, id: UInt64, kind: DestinationKind, route: ClusterRoute) {
        self.name = name
        self.id = id
        self.kind = kind
        self.route = route
    }

    public static func == (lhs: SendDestination, rhs: SendDestination) -> Bool {
        lhs.name == rhs.name && lhs.id == rhs.id && lhs.kind == rhs.kind && lhs.route == rhs.route
    }
}

/// The semantics chosen by a destination's prefix.
public enum DestinationKind: Sendable, Equatable {
    case topic, queue, user
}

/// Destination string → `SendDestination`, for the destinations SENDs name.
///
/// Bounded: once `capacity` destinations are held the table is emptied and fills again with
/// the destinations still in use (one dictionary, no per-entry bookkeeping on the hot path).
/// Invalid destinations (unknown prefix, wildcards) are never stored: they are refused each
/// time and cannot push valid ones out.
struct DestinationTable: Sendable {
    let capacity: Int
    private(set) var entries: [String: SendDestination] = [:]
    private var lastID: UInt64 = 0
    /// Times the table was emptied because it was full.
    private(set) var resets: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The stored descriptor of `destination`, if any.
    func lookUp(_ destination: String) -> SendDestination? {
        entries[destination]
    }

    /// Stores a descriptor for `destination` with a fresh id (nothing when the capacity is 0).
    mutating func store(_ destination: String, kind: DestinationKind, route: ClusterRoute) -> SendDestination {
        lastID += 1
        let descriptor = SendDestination(name: destination, id: lastID, kind: kind, route: route)
        guard capacity > 0 else { return descriptor }
        if entries.count >= capacity {
            entries.removeAll(keepingCapacity: true)
            resets += 1
        }
        entries[destination] = descriptor
        return descriptor
    }
}
