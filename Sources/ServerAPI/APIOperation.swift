public import Applications
public import STOMPWire

/// One message the API routes: like a SEND to `destination`.
public struct APIMessage: Sendable, Equatable {
    public var destination: String
    public var headers: STOMPHeaders
    public var body: [UInt8]

    public init(destination: String, headers: STOMPHeaders, body: [UInt8]) {
        self.destination = destination
        self.headers = headers
        self.body = body
    }
}

/// What a server API request asks for, once authenticated and validated.
public enum APIOperation: Sendable, Equatable {
    /// Route messages like SENDs (publish: one; send to a user: `/user/<name>/...`; broadcast:
    /// the same message to several destinations; batch: any number of these).
    case route([APIMessage])
    /// Online users, cluster-wide, a page of them.
    case status(offset: Int, limit: Int)
    /// One user's sessions on every node.
    case presence(user: String)
    /// Subscribers of a topic destination (per node; users when asked).
    case subscribers(destination: String, users: Bool)
    /// End one session (on whichever node) with `reason` in its ERROR.
    case disconnectSession(SessionAddress, reason: String)
    /// End every session of a user on every node.
    case disconnectUser(String, reason: String)
}

/// A refused request: answered with `{"error": message, "status": status}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var headers: [(String, String)]

    public init(status: Int, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public static func == (a: APIError, b: APIError) -> Bool {
        a.status == b.status && a.message == b.message && a.headers.map(\.0) == b.headers.map(\.0)
    }

    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, message: message) }
}
