internal import JSONMessages

/// The connect hook (the backend authenticates a CONNECT) and the session event notifications.
///
/// Connect hook request: `{"event":"connect","node","session","endpoint","login","passcode",
/// "headers":{…the other CONNECT headers…}}`. Answer 2xx `{"user":"alice","roles":["agent"]}`
/// accepts (no `user`: anonymous); `{"error":"…"}` or any 4xx refuses; 5xx, a timeout or
/// nonsense refuses too ("authentication unavailable"): the client may reconnect.
///
/// Event notification: `{"event":"connect"|"disconnect"|"subscribe","node","session","user",
/// "endpoint","at"}` plus `destination` and `subscription` for subscribe; fire and forget.
public enum HookFormat {
    public struct ConnectRequest: Sendable, Equatable {
        public var node: String
        public var session: String
        public var endpoint: String
        public var login: String?
        public var passcode: String?
        public var headers: [(String, String)]

        public init(node: String, session: String, endpoint: String, login: String?, passcode: String?, headers: [(String, String)]) {
            self.node = node
            self.session = session
            self.endpoint = endpoint
            self.login = login
            self.passcode = passcode
            self.headers = headers
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.node == b.node && a.session == b.session && a.endpoint == b.endpoint && a.login == b.login && a.passcode == b.passcode
                && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
        }

        public var body: [UInt8] {
            var headerObject: [String: JSONValue] = [:]
            for (name, value) in headers where name != "login" && name != "passcode" && headerObject[name] == nil {
                headerObject[name] = .string(value)
            }
            var fields: [String: JSONValue] = [
                "event": .string("connect"), "node": .string(node), "session": .string(session),
                "endpoint": .string(endpoint), "headers": .object(headerObject),
            ]
            if let login { fields["login"] = .string(login) }
            if let passcode { fields["passcode"] = .string(passcode) }
            return JSONValue.object(fields).encoded
        }
    }

    public enum ConnectDecision: Sendable, Equatable {
        /// `user` nil: an anonymous session.
        case accept(user: String?, roles: [String])
        case refuse(String)
    }

    public static func connectDecision(status: Int, body: [UInt8]) -> ConnectDecision {
        guard (200..<300).contains(status) else {
            return .refuse(status >= 500 || status == 408 || status == 429 ? "authentication unavailable" : "refused by the authentication backend")
        }
        do throws(JSONError) {
            var reader = try JSONObjectReader(try JSONValue.parse(body))
            if let error = try reader.string("error") {
                _ = reader.value("user")
                _ = reader.value("roles")
                return .refuse(error)
            }
            let user = try reader.string("user")
            let roles = try reader.strings("roles") ?? []
            try reader.finish()
            if let user, user.isEmpty || user.contains(where: { $0 == "\n" || $0 == "\r" || $0 == ":" }) {
                return .refuse("authentication backend returned an unusable user name")
            }
            return .accept(user: user, roles: roles)
        } catch {
            return .refuse("authentication unavailable")
        }
    }

    public enum Event: Sendable, Equatable {
        case connect
        case disconnect
        case subscribe(destination: String, subscription: String)

        public var name: String {
            switch self {
            case .connect: "connect"
            case .disconnect: "disconnect"
            case .subscribe: "subscribe"
            }
        }
    }

    public static func eventBody(_ event: Event, node: String, session: String, user: String, endpoint: String, atMilliseconds: Int64) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "event": .string(event.name), "node": .string(node), "session": .string(session),
            "user": .string(user), "endpoint": .string(endpoint), "at": .integer(Int(atMilliseconds)),
        ]
        if case .subscribe(let destination, let subscription) = event {
            fields["destination"] = .string(destination)
            fields["subscription"] = .string(subscription)
        }
        return JSONValue.object(fields).encoded
    }
}
