/// Every Redis key and channel the cluster uses, under one prefix so clusters can share a Redis.
///
/// | name | kind | holds |
/// |---|---|---|
/// | `P:d:<destination>` | channel | topic messages (envelopes) for an exact destination; pattern interests PSUBSCRIBE a glob over these |
/// | `P:u:<user>` | channel | `/user/<user>/...` messages |
/// | `P:q:<queue>` | stream, group `stampede` | shared queue messages (field `e`: envelope) |
/// | `P:qn:<queue>` | channel | "queue has messages" hint after XADD |
/// | `P:ctl:<node>` | channel | control messages for one node (disconnect a session or a user) |
/// | `P:probe:<node>` | channel | the node's liveness probes to itself (command → Redis → subscriber) |
/// | `P:queues` | set | queue names, for dead-node cleanup |
/// | `P:nodes` | set | node ids believed alive |
/// | `P:node:<id>` | string, TTL | the node's last report (JSON); its expiry means the node is dead |
/// | `P:users-of:<id>` | hash, TTL | user → the node's sessions of that user (from its report), expiring with the node |
/// | `P:presence:<destination>` | hash | user → number of nodes where the user is present |
/// | `P:presence-of:<id>` | set | `<destination>\n<user>` entries the node counts in, for dead-node cleanup |
/// | `P:o:<user>` | stream, TTL | the user's offline messages (field `e`: envelope) |
/// | `P:od:<user>` | sorted set, TTL | the user's recent `message-dedup-id`s, scored by expiry |
/// | `P:own:<name>` | string, TTL 1 day | the node owning a name (a SockJS session), see `ClusterBus.claim` |
struct RedisKeys: Sendable {
    let prefix: String
    static let group = "stampede"

    func destinationChannel(_ destination: String) -> String { "\(prefix):d:\(destination)" }
    func userChannel(_ user: String) -> String { "\(prefix):u:\(user)" }
    func queueStream(_ queue: String) -> String { "\(prefix):q:\(queue)" }
    func queueNotifyChannel(_ queue: String) -> String { "\(prefix):qn:\(queue)" }
    func controlChannel(_ node: String) -> String { "\(prefix):ctl:\(node)" }
    func probeChannel(_ node: String) -> String { "\(prefix):probe:\(node)" }
    var queues: String { "\(prefix):queues" }
    var nodes: String { "\(prefix):nodes" }
    func node(_ id: String) -> String { "\(prefix):node:\(id)" }
    func usersOf(_ node: String) -> String { "\(prefix):users-of:\(node)" }
    func presence(_ destination: String) -> String { "\(prefix):presence:\(destination)" }
    func presenceOf(_ node: String) -> String { "\(prefix):presence-of:\(node)" }
    func offlineStream(_ user: String) -> String { "\(prefix):o:\(user)" }
    func offlineDedup(_ user: String) -> String { "\(prefix):od:\(user)" }
    func owner(_ name: String) -> String { "\(prefix):own:\(name)" }

    /// A Redis glob matching at least every destination the pattern matches: literal characters
    /// escaped, wildcard segments as `*`. Receivers filter exactly with the broker's own matcher.
    func destinationGlob(_ pattern: String, separators: [UInt8], wildcards: Set<String>) -> String {
        var glob = "\(prefix):d:"
        var segment = ""
        func flush() {
            if wildcards.contains(segment) {
                glob += "*"
            } else {
                for character in segment {
                    if "*?[]\\".contains(character) { glob.append("\\") }
                    glob.append(character)
                }
            }
            segment = ""
        }
        for character in pattern {
            if let ascii = character.asciiValue, separators.contains(ascii) {
                flush()
                glob.append(character)
            } else {
                segment.append(character)
            }
        }
        flush()
        return glob
    }
}
