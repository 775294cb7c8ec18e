/// Presence in an in-memory hub: which nodes have a user in a destination.
extension InMemoryClusterHub {
    /// True when the user's presence changed cluster-wide (first node in, last node out).
    func updatePresence(destination: String, user: String, present: Bool, node: String) -> Bool {
        if present {
            let inserted = presence[destination, default: [:]][user, default: []].insert(node).inserted
            return inserted && presence[destination]![user]!.count == 1
        }
        guard presence[destination]?[user]?.remove(node) != nil else { return false }
        guard presence[destination]![user]!.isEmpty else { return false }
        presence[destination]![user] = nil
        if presence[destination]!.isEmpty { presence[destination] = nil }
        return true
    }

    /// A node died: users present only there leave; the first surviving node publishes it.
    func endPresence(of deadNode: String) {
        guard let survivor = buses.keys.sorted().first.flatMap({ buses[$0] }) else { return }
        for destination in Array(presence.keys).sorted() {
            for user in Array(presence[destination]?.keys ?? [:].keys).sorted()
            where updatePresence(destination: destination, user: user, present: false, node: deadNode) {
                survivor.delegate?.bus(presenceEnded: destination, user: user)
            }
        }
    }
}
