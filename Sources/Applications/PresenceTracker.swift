public import Router

/// Which users are in which watched destinations on this node, and when that changes: a user is
/// in a destination while at least one of their sessions here subscribes to it. Pure: the node
/// turns the node-level transitions into cluster-wide ones through the bus.
public struct PresenceTracker: Sendable {
    /// Destinations (exact or patterns) whose joins and leaves are published.
    public let watched: [String]
    /// Appended to a destination to name its companion destination (`/topic/room1.presence`).
    public let suffix: String
    private var index: SubscriptionIndex<Int>
    private var counts: [Member: Int] = [:]

    public struct Member: Hashable, Sendable {
        public var destination: String
        public var user: String
        public init(destination: String, user: String) {
            self.destination = destination
            self.user = user
        }
    }

    public init(watched: [String], suffix: String, syntax: DestinationSyntax = .init()) {
        self.watched = watched
        self.suffix = suffix
        index = SubscriptionIndex(syntax: syntax, cacheCapacity: 1024)
        for (position, pattern) in watched.enumerated() { index.insert(position, for: pattern) }
    }

    /// Whether subscriptions to `destination` count as presence: a watched exact destination, not
    /// a pattern, and not itself a companion destination.
    public mutating func watches(_ destination: String) -> Bool {
        guard !watched.isEmpty, !index.syntax.isPattern(destination), !destination.hasSuffix(suffix) else { return false }
        return !index.match(destination).isEmpty
    }

    /// The companion destination that joins and leaves of `destination` are published to.
    public func companion(of destination: String) -> String { destination + suffix }

    /// One more subscription of `user` to `destination` here; true at the first (a join here).
    public mutating func add(_ member: Member) -> Bool {
        counts[member, default: 0] += 1
        return counts[member] == 1
    }

    /// One subscription fewer; true at the last (a leave here).
    public mutating func remove(_ member: Member) -> Bool {
        guard let count = counts[member] else { return false }
        if count <= 1 {
            counts[member] = nil
            return true
        }
        counts[member] = count - 1
        return false
    }

    /// Users present here in `destination`, sorted.
    public func users(in destination: String) -> [String] {
        counts.keys.filter { $0.destination == destination }.map(\.user).sorted()
    }

    /// The body published to the companion destination.
    public static func eventBody(joined: Bool, user: String, destination: String) -> [UInt8] {
        Array("{\"event\":\"\(joined ? "join" : "leave")\",\"user\":\(jsonString(user)),\"destination\":\(jsonString(destination))}".utf8)
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
