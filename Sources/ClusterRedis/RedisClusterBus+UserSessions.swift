public import ClusterBus
internal import RedisClient

/// Sessions per user across the cluster (`limits.max-connections-per-user`): each node keeps
/// its own counts in `P:users-of:<node>`, a hash written from its heartbeat report (only what
/// changed) and expiring with the node, so a dead node's sessions stop counting on their own.
/// A node asks for the sum over the other live nodes when a user connects.
extension RedisClusterBus {
    /// Sums `ARGV[1]`'s field over every live node's hash except `ARGV[2]`'s; `ARGV[3]` is the
    /// hash name without the node id.
    static let sessionsElsewhereScript = """
        local total = 0
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if id ~= ARGV[2] then
            local n = redis.call('HGET', ARGV[3] .. id, ARGV[1])
            if n then total = total + tonumber(n) end
          end
        end
        return total
        """

    public func sessionsElsewhere(ofUser user: String, completion: @escaping (Int?) -> Void) {
        guard commands.state == .connected else { return completion(nil) }
        let arguments = ["EVAL", Self.sessionsElsewhereScript, "1", keys.nodes, user, nodeID, keys.usersOf("")]
        commands.send(arguments) { reply in completion(reply.integer.map(Int.init)) }
    }

    /// Brings `P:users-of:<node>` to `counts`: fields that changed are set, users gone are
    /// removed, and the key's expiry is renewed. When the key has vanished (Redis restarted, or
    /// this node was taken for dead) everything is written again on the next report.
    func writeUserSessions(_ counts: [String: Int]) {
        let key = Array(keys.usersOf(nodeID).utf8)
        var changed: [[UInt8]] = []
        for (user, count) in counts where writtenUserSessions[user] != count {
            changed.append(Array(user.utf8))
            changed.append(Array(String(count).utf8))
        }
        let gone = writtenUserSessions.keys.filter { counts[$0] == nil }.map { Array($0.utf8) }
        if !changed.isEmpty { send([Array("HSET".utf8), key] + changed) }
        if !gone.isEmpty { send([Array("HDEL".utf8), key] + gone) }
        writtenUserSessions = counts
        guard !counts.isEmpty else { return }
        send([Array("PEXPIRE".utf8), key, Array(String(settings.nodeTimeoutMilliseconds).utf8)]) { [weak self] reply in
            if reply.integer != 1 { self?.writtenUserSessions = [:] }
        }
    }
}
