public import HTTPWire
public import JSONMessages

/// One session as the presence endpoint shows it.
public struct APISessionView: Sendable, Equatable {
    /// `<node>/<session>`: what POST /api/disconnect takes.
    public var session: String
    public var node: String
    public var endpoint: String
    /// Milliseconds since the Unix epoch.
    public var connectedAt: Int64

    public init(session: String, node: String, endpoint: String, connectedAt: Int64) {
        self.session = session
        self.node = node
        self.endpoint = endpoint
        self.connectedAt = connectedAt
    }
}

/// The JSON answers of the server API (`docs/api/openapi.yaml` describes each).
public enum APIResponses {
    public static func json(_ status: Int, _ fields: [String: JSONValue]) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json"), ("Connection", "close")],
                     body: JSONValue.object(fields).encoded)
    }

    public static func error(_ error: APIError) -> HTTPResponse {
        HTTPResponse.jsonError(status: error.status, message: error.message, headers: error.headers)
    }

    /// A routing request done: how many messages were routed.
    public static func routed(_ count: Int) -> HTTPResponse {
        json(200, ["ok": .bool(true), "routed": .integer(count)])
    }

    /// A disconnect asked for: the nodes it was sent to (`sessions` is only known locally).
    public static func disconnected(nodes: [String]) -> HTTPResponse {
        json(200, ["ok": .bool(true), "nodes": .array(nodes.sorted().map { .string($0) })])
    }

    /// Online users (user → sessions, cluster-wide), one page in name order.
    public static func status(users: [String: Int], offset: Int, limit: Int) -> HTTPResponse {
        let names = users.keys.sorted()
        let page = names.dropFirst(offset).prefix(limit)
        return json(200, [
            "online_count": .integer(names.count),
            "sessions_count": .integer(users.values.reduce(0, +)),
            "online_users": .array(page.map { .string($0) }),
            "offset": .integer(offset),
            "limit": .integer(limit),
        ])
    }

    public static func presence(user: String, sessions: [APISessionView]) -> HTTPResponse {
        let sorted = sessions.sorted { ($0.connectedAt, $0.session) < ($1.connectedAt, $1.session) }
        return json(200, [
            "user": .string(user),
            "online": .bool(!sessions.isEmpty),
            "nodes": .array(Set(sessions.map(\.node)).sorted().map { .string($0) }),
            "sessions": .array(sorted.map { session in
                .object([
                    "session": .string(session.session), "node": .string(session.node),
                    "endpoint": .string(session.endpoint), "connected_at": .integer(Int(session.connectedAt)),
                ])
            }),
        ])
    }

    /// Subscribers of a topic destination per node, and the users when asked.
    public static func subscribers(destination: String, nodes: [String: Int], users: [String]?) -> HTTPResponse {
        var fields: [String: JSONValue] = [
            "destination": .string(destination),
            "count": .integer(nodes.values.reduce(0, +)),
            "nodes": .object(nodes.mapValues { .integer($0) }),
        ]
        if let users { fields["users"] = .array(Set(users).sorted().map { .string($0) }) }
        return json(200, fields)
    }
}
