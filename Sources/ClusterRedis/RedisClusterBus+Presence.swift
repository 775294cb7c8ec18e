public import ClusterBus
internal import RedisClient

/// Presence on Redis: `P:presence:<destination>` counts, per user, the nodes where the user is
/// present (HINCRBY: the node that takes it from 0 to 1 publishes the join, the one that takes
/// it to 0 the leave). Each node lists what it counted in `P:presence-of:<node>`, so the survivor
/// that cleans up a dead node takes its counts back and publishes the leaves.
extension RedisClusterBus {
    /// Decrements and removes the field at zero, atomically (a join in between must not be lost).
    static let leaveScript = """
        local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
        if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
        return n
        """

    public func updatePresence(destination: String, user: String, present: Bool, completion: @escaping (Bool) -> Void) {
        let member = destination + "\n" + user
        if present {
            send(["SADD", keys.presenceOf(nodeID), member].map { Array($0.utf8) })
            send(["HINCRBY", keys.presence(destination), user, "1"].map { Array($0.utf8) }) { reply in
                completion(reply.integer == 1)
            }
        } else {
            send(["SREM", keys.presenceOf(nodeID), member].map { Array($0.utf8) })
            leave(destination: destination, user: user, completion: completion)
        }
    }

    public func presentUsers(in destination: String, completion: @escaping ([String]) -> Void) {
        commands.send(["HKEYS", keys.presence(destination)]) { reply in
            completion((reply.array?.compactMap(\.string) ?? []).sorted())
        }
    }

    private func leave(destination: String, user: String, completion: @escaping (Bool) -> Void) {
        send(["EVAL", Self.leaveScript, "1", keys.presence(destination), user].map { Array($0.utf8) }) { reply in
            completion((reply.integer ?? 1) <= 0)
        }
    }

    /// Takes a dead node's presence back; users it was the last node of leave.
    func endPresence(of deadNode: String) {
        let set = keys.presenceOf(deadNode)
        commands.send(["SMEMBERS", set]) { [weak self] reply in
            guard let self else { return }
            for member in reply.array?.compactMap(\.string) ?? [] {
                guard let newline = member.firstIndex(of: "\n") else { continue }
                let destination = String(member[..<newline])
                let user = String(member[member.index(after: newline)...])
                self.leave(destination: destination, user: user) { [weak self] ended in
                    if ended { self?.delegate?.bus(presenceEnded: destination, user: user) }
                }
            }
            self.commands.send(["DEL", set])
        }
    }
}
