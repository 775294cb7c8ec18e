public import HTTPWire
internal import Applications
internal import JSONMessages
internal import STOMPWire

/// What the API needs to know to validate requests.
public struct APIPolicy: Sendable {
    /// Accepted keys (`Authorization: apikey <key>`); empty: no key required (loopback only).
    public var keys: [[UInt8]]
    /// Verifies `Authorization: Bearer <token>` (a JWT with the API role); nil: bearer tokens refused.
    public var verifyBearer: (@Sendable (String) -> Bool)?
    public var topicPrefix: String
    public var queuePrefix: String
    public var userPrefix: String
    public var maxBatch: Int

    public init(keys: [String], verifyBearer: (@Sendable (String) -> Bool)? = nil, topicPrefix: String = "/topic/", queuePrefix: String = "/queue/",
                userPrefix: String = "/user/", maxBatch: Int = 1_000) {
        self.keys = keys.map { Array($0.utf8) }
        self.verifyBearer = verifyBearer
        self.topicPrefix = topicPrefix
        self.queuePrefix = queuePrefix
        self.userPrefix = userPrefix
        self.maxBatch = maxBatch
    }
}

/// Maps an HTTP request of the server API to an operation: unknown path 404, missing or wrong
/// credentials 401, wrong method 405, malformed JSON, unknown fields, bad values 400, in that order.
///
/// | method | path | body / query |
/// |---|---|---|
/// | POST | /api/publish | `{destination, body \| body_base64, headers}` |
/// | POST | /api/send | `{user, destination, body, headers}`: to `/user/<user><destination>` |
/// | POST | /api/broadcast | `{destinations: [...], body, headers}` |
/// | POST | /api/batch | `{operations: [{publish\|send\|broadcast: {...}}]}` |
/// | GET | /api/status | `?offset=&limit=` |
/// | GET | /api/users/{user} | |
/// | GET | /api/subscribers | `?destination=&users=true` |
/// | POST | /api/disconnect | `{session: "<node>/<id>"}` or `{user}`, and `reason` |
public enum APIRouting {
    public static let defaultLimit = 100
    public static let maxLimit = 1_000

    public static func route(_ request: HTTPRequest, policy: APIPolicy) -> Result<APIOperation, APIError> {
        let head = request.head
        let path = head.path
        enum Endpoint { case publish, send, broadcast, batch, status, subscribers, disconnect, user(String) }
        let endpoint: Endpoint
        switch path {
        case "/api/publish": endpoint = .publish
        case "/api/send": endpoint = .send
        case "/api/broadcast": endpoint = .broadcast
        case "/api/batch": endpoint = .batch
        case "/api/status": endpoint = .status
        case "/api/subscribers": endpoint = .subscribers
        case "/api/disconnect": endpoint = .disconnect
        default:
            let prefix = "/api/users/"
            guard path.hasPrefix(prefix), path.count > prefix.count, let user = percentDecoded(String(path.dropFirst(prefix.count))) else {
                return .failure(APIError(status: 404, message: "no such resource: \(path)"))
            }
            endpoint = .user(user)
        }
        if let refusal = authenticate(head, policy: policy) { return .failure(refusal) }
        let method: String
        switch endpoint {
        case .status, .subscribers, .user: method = "GET"
        default: method = "POST"
        }
        guard head.method == method else {
            return .failure(APIError(status: 405, message: "use \(method) for \(path)", headers: [("Allow", method)]))
        }
        do throws(APIError) {
            switch endpoint {
            case .status:
                let query = try parseQuery(head.query, allowed: ["offset", "limit"])
                return .success(.status(offset: try integer(query["offset"], "offset", default: 0, max: Int(Int32.max)),
                                        limit: try integer(query["limit"], "limit", default: defaultLimit, max: maxLimit, min: 1)))
            case .subscribers:
                let query = try parseQuery(head.query, allowed: ["destination", "users"])
                guard let destination = query["destination"], !destination.isEmpty else { throw .badRequest("destination is required") }
                guard destination.hasPrefix(policy.topicPrefix) else {
                    throw .badRequest("subscribers are listed for topic destinations (\(policy.topicPrefix)...)")
                }
                let users: Bool
                switch query["users"] {
                case nil, "false": users = false
                case "true": users = true
                default: throw .badRequest("users must be true or false")
                }
                return .success(.subscribers(destination: destination, users: users))
            case .user(let user):
                try checkQueryEmpty(head.query)
                return .success(.presence(user: user))
            default:
                try checkQueryEmpty(head.query)
                let json: JSONValue
                do throws(JSONError) {
                    json = try JSONValue.parse(request.body)
                } catch {
                    throw .badRequest("the body is not valid JSON")
                }
                switch endpoint {
                case .publish: return .success(.route([try readPublish(json, path: "", policy: policy)]))
                case .send: return .success(.route([try readSend(json, path: "", policy: policy)]))
                case .broadcast: return .success(.route(try readBroadcast(json, path: "", policy: policy)))
                case .batch: return .success(.route(try readBatch(json, policy: policy)))
                default: return .success(try readDisconnect(json))
                }
            }
        } catch {
            return .failure(error)
        }
    }

    // MARK: Authentication

    static func authenticate(_ head: HTTPRequestHead, policy: APIPolicy) -> APIError? {
        guard !policy.keys.isEmpty || policy.verifyBearer != nil else { return nil }
        let challenge = [("WWW-Authenticate", "apikey")]
        guard let value = head.header("authorization") else {
            return APIError(status: 401, message: "missing Authorization: apikey <key>", headers: challenge)
        }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return APIError(status: 401, message: "malformed Authorization header", headers: challenge) }
        let given = Array(parts[1].utf8)
        switch parts[0].lowercased() {
        case "apikey":
            // Every key is compared in full, so timing tells nothing about which or how much matched.
            var matched = false
            for key in policy.keys where constantTimeEquals(key, given) { matched = true }
            if matched { return nil }
        case "bearer":
            if let verify = policy.verifyBearer, verify(parts[1]) { return nil }
        default:
            break
        }
        return APIError(status: 401, message: "wrong API key or token", headers: challenge)
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    // MARK: Bodies

    static func reader(_ json: JSONValue, _ path: String) throws(APIError) -> JSONObjectReader {
        do throws(JSONError) { return try JSONObjectReader(json, path: path) } catch { throw .badRequest(error.message) }
    }

    static func wrap<T>(_ body: () throws(JSONError) -> T) throws(APIError) -> T {
        do throws(JSONError) { return try body() } catch { throw .badRequest(error.message) }
    }

    static func readContent(_ reader: inout JSONObjectReader) throws(APIError) -> (headers: STOMPHeaders, body: [UInt8]) {
        try wrap { () throws(JSONError) in
            var headers: STOMPHeaders = []
            for (name, value) in try reader.stringMap("headers") ?? [] {
                guard !name.isEmpty, isHeaderText(name), isHeaderText(value) else { throw JSONError("headers.\(name) is not a valid STOMP header") }
                guard !reserved.contains(name), !name.hasPrefix("app-"), !name.hasPrefix("stampede-"), !name.hasPrefix("reply-") else {
                    throw JSONError("header '\(name)' is set by the server")
                }
                headers.append(STOMPHeader(name: name, value: value))
            }
            return (headers, try reader.body())
        }
    }

    static let reserved: Set<String> = ["destination", "subscription", "message-id", "ack", "content-length", "receipt", "transaction"]

    static func isHeaderText(_ text: String) -> Bool { !text.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0 } }

    /// A destination messages can be sent to: a topic, a queue or `/user/<name>/...`; no
    /// wildcards, no application destinations (the API talks to clients, not to backends).
    static func checkDestination(_ destination: String, _ field: String, policy: APIPolicy) throws(APIError) {
        guard destination.hasPrefix(policy.topicPrefix) || destination.hasPrefix(policy.queuePrefix) || destination.hasPrefix(policy.userPrefix) else {
            throw .badRequest("\(field) '\(destination)' must start with \(policy.topicPrefix), \(policy.queuePrefix) or \(policy.userPrefix)")
        }
        guard !destination.contains("*"), !destination.contains("#"), isHeaderText(destination), !destination.contains(" ") else {
            throw .badRequest("\(field) '\(destination)' must not contain wildcards, spaces or line breaks")
        }
        let rest = destination.dropFirst(destination.hasPrefix(policy.topicPrefix) ? policy.topicPrefix.count
                                        : destination.hasPrefix(policy.queuePrefix) ? policy.queuePrefix.count : policy.userPrefix.count)
        guard !rest.isEmpty else { throw .badRequest("\(field) '\(destination)' names no destination") }
        if destination.hasPrefix(policy.userPrefix) {
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw .badRequest("\(field) '\(destination)' must be \(policy.userPrefix)<user>/<destination>")
            }
        }
    }

    static func readPublish(_ json: JSONValue, path: String, policy: APIPolicy) throws(APIError) -> APIMessage {
        var reader = try reader(json, path)
        let destination = try wrap { () throws(JSONError) in try reader.requiredString("destination") }
        try checkDestination(destination, reader.path.isEmpty ? "destination" : "\(reader.path).destination", policy: policy)
        let content = try readContent(&reader)
        try wrap { () throws(JSONError) in try reader.finish() }
        return APIMessage(destination: destination, headers: content.headers, body: content.body)
    }

    static func readSend(_ json: JSONValue, path: String, policy: APIPolicy) throws(APIError) -> APIMessage {
        var reader = try reader(json, path)
        let (user, relative) = try wrap { () throws(JSONError) in (try reader.requiredString("user"), try reader.requiredString("destination")) }
        guard !user.isEmpty, !user.contains("/"), isHeaderText(user), !user.contains(" ") else {
            throw .badRequest("user '\(user)' is not a user name")
        }
        guard relative.hasPrefix("/"), relative.count > 1 else {
            throw .badRequest("destination '\(relative)' must be the user's destination such as /queue/notifications")
        }
        let destination = policy.userPrefix + user + relative
        try checkDestination(destination, "destination", policy: policy)
        let content = try readContent(&reader)
        try wrap { () throws(JSONError) in try reader.finish() }
        return APIMessage(destination: destination, headers: content.headers, body: content.body)
    }

    static func readBroadcast(_ json: JSONValue, path: String, policy: APIPolicy) throws(APIError) -> [APIMessage] {
        var reader = try reader(json, path)
        let destinations = try wrap { () throws(JSONError) in try reader.strings("destinations") } ?? []
        guard !destinations.isEmpty else { throw .badRequest("destinations must list at least one destination") }
        guard destinations.count <= policy.maxBatch else { throw .badRequest("at most \(policy.maxBatch) destinations") }
        for destination in destinations { try checkDestination(destination, "destinations", policy: policy) }
        let content = try readContent(&reader)
        try wrap { () throws(JSONError) in try reader.finish() }
        return destinations.map { APIMessage(destination: $0, headers: content.headers, body: content.body) }
    }

    static func readBatch(_ json: JSONValue, policy: APIPolicy) throws(APIError) -> [APIMessage] {
        var reader = try reader(json, "")
        let operations = try wrap { () throws(JSONError) in try reader.array("operations") } ?? []
        try wrap { () throws(JSONError) in try reader.finish() }
        guard !operations.isEmpty else { throw .badRequest("operations must list at least one operation") }
        guard operations.count <= policy.maxBatch else { throw .badRequest("at most \(policy.maxBatch) operations in one batch (api.max-batch)") }
        var messages: [APIMessage] = []
        for (index, operation) in operations.enumerated() {
            let path = "operations[\(index)]"
            guard case .object(let fields) = operation, fields.count == 1, let (name, params) = fields.first else {
                throw .badRequest("\(path) must be an object with exactly one of publish, send, broadcast")
            }
            switch name {
            case "publish": messages.append(try readPublish(params, path: "\(path).publish", policy: policy))
            case "send": messages.append(try readSend(params, path: "\(path).send", policy: policy))
            case "broadcast": messages += try readBroadcast(params, path: "\(path).broadcast", policy: policy)
            default: throw .badRequest("\(path): unknown operation '\(name)' (publish, send or broadcast)")
            }
            guard messages.count <= policy.maxBatch else { throw .badRequest("at most \(policy.maxBatch) messages in one batch (api.max-batch)") }
        }
        return messages
    }

    static func readDisconnect(_ json: JSONValue) throws(APIError) -> APIOperation {
        var reader = try reader(json, "")
        let (session, user, reason) = try wrap { () throws(JSONError) in
            (try reader.string("session"), try reader.string("user"), try reader.string("reason"))
        }
        try wrap { () throws(JSONError) in try reader.finish() }
        let text = reason ?? "disconnected by the server"
        guard !text.isEmpty, text.utf8.count <= 1024, isHeaderText(text) else { throw .badRequest("reason must be one line of at most 1024 bytes") }
        switch (session, user) {
        case (let session?, nil):
            guard let address = SessionAddress(session) else { throw .badRequest("session '\(session)' is not <node>/<session>") }
            return .disconnectSession(address, reason: text)
        case (nil, let user?):
            guard !user.isEmpty else { throw .badRequest("user must not be empty") }
            return .disconnectUser(user, reason: text)
        default:
            throw .badRequest("give exactly one of session or user")
        }
    }

    // MARK: Query strings

    static func checkQueryEmpty(_ query: String?) throws(APIError) {
        if let query, !query.isEmpty { throw .badRequest("this resource takes no query parameters") }
    }

    static func parseQuery(_ query: String?, allowed: Set<String>) throws(APIError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(String(parts[0])), let value = percentDecoded(parts.count == 2 ? String(parts[1]) : "") else {
                throw .badRequest("malformed query string")
            }
            guard allowed.contains(name) else { throw .badRequest("unknown query parameter '\(name)'") }
            guard result[name] == nil else { throw .badRequest("query parameter '\(name)' given twice") }
            result[name] = value
        }
        return result
    }

    static func integer(_ text: String?, _ name: String, default value: Int, max: Int, min: Int = 0) throws(APIError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), number >= min, number <= max else { throw .badRequest("\(name) must be an integer from \(min) to \(max)") }
        return number
    }

    static func percentDecoded(_ text: String) -> String? {
        PercentEncoding.decode(text.utf8, plusAsSpace: true)
    }
}
