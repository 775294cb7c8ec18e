import Router

/// The broker's queues by name, remembering where the last SEND's queue is.
///
/// A run of SENDs to one queue looks its name up once: the next SEND to the same name (the
/// destination table hands every SEND the same String, so the comparison is by identity) goes
/// straight to the queue's slot. Hashing the name per SEND was about 4 % of a queue message's
/// instructions (issue 13). Any other change through the table forgets the slot, so no path
/// that adds or removes a queue can leave it stale.
struct QueueTable: Sendable {
    typealias Queue = LocalBroker.Queue

    private(set) var byName: [String: Queue] = [:]
    /// Where `slot(of:makingWith:)` found its queue last; a dictionary index stays valid until
    /// a key is added or removed (changing a value, even on a copied storage, keeps every bucket).
    private var last: (name: String, index: Dictionary<String, Queue>.Index)?

    /// The queue named `name`, read or changed in place (setting nil removes it).
    subscript(name: String) -> Queue? {
        get { byName[name] }
        _modify {
            last = nil
            yield &byName[name]
        }
    }

    var count: Int { byName.count }

    /// Where the queue named `name` is, made by `make` if there is none; valid until the next
    /// access by name.
    mutating func slot(of name: String, makingWith make: () -> Queue) -> Dictionary<String, Queue>.Index {
        if let last, last.name == name { return last.index }
        var index = byName.index(forKey: name)
        if index == nil {
            byName[name] = make()
            index = byName.index(forKey: name)
        }
        last = (name, index!)
        return index!
    }

    /// The queue at `slot` (from `slot(of:makingWith:)`), changed in place.
    subscript(slot slot: Dictionary<String, Queue>.Index) -> Queue {
        get { byName.values[slot] }
        _modify { yield &byName.values[slot] }
    }
}
