internal import HTTPWire

/// A page of a listing: `?offset=&limit=`.
struct AdminPage: Equatable {
    static let defaultLimit = 100
    static let maxLimit = 1000

    var offset = 0
    var limit = AdminPage.defaultLimit
}

/// What an admin request asks for, once its path, method, token and parameters were checked.
enum AdminRoute: Equatable {
    case health
    case readiness
    case metrics
    case cluster
    case destinations(AdminPage)
    case users(AdminPage)
    /// One user; the id is percent-decoded.
    case user(String)
    /// The answering node's sessions.
    case sessions(AdminPage)
    /// The answering node's recent activity.
    case history
    /// Ends one session of the answering node (POST).
    case disconnect(String)
    /// The HTML dashboard (no token needed: the page holds no data, it asks the API with a token).
    case dashboard
}

/// Why a request is refused before the data source is asked: sent as a JSON error.
struct AdminRejection: Error, Equatable {
    var status: Int
    var message: String
    var headers: [(String, String)] = []

    static func == (a: AdminRejection, b: AdminRejection) -> Bool {
        a.status == b.status && a.message == b.message
            && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
    }

    var response: HTTPResponse {
        HTTPResponse.jsonError(status: status, message: message, headers: headers)
    }
}

/// Maps a request head to a route: unknown path 404, missing or wrong token 401 (for /admin/*
/// and /metrics only), wrong method 405 (POST for a disconnect, GET for everything else), bad
/// parameters 400, in that order.
enum AdminRouting {
    private enum Path {
        case health, readiness, metrics, cluster, destinations, users, sessions, history, dashboard
        case user(String)
        case disconnect(String)

        var isProtected: Bool {
            switch self {
            case .health, .readiness, .dashboard: false
            default: true
            }
        }

        var method: String {
            if case .disconnect = self { return "POST" }
            return "GET"
        }
    }

    static func route(_ head: HTTPRequestHead, token: [UInt8]?) -> Result<AdminRoute, AdminRejection> {
        let path: Path
        switch matchPath(head.path) {
        case .success(let matched?): path = matched
        case .success(nil): return .failure(AdminRejection(status: 404, message: "no such resource: \(head.path)"))
        case .failure(let rejection): return .failure(rejection)
        }
        if path.isProtected, let token, !isAuthorized(head.header("authorization"), token: token) {
            return .failure(AdminRejection(
                status: 401, message: "missing or wrong bearer token", headers: [("WWW-Authenticate", "Bearer")]))
        }
        guard head.method == path.method else {
            return .failure(AdminRejection(status: 405, message: "method \(head.method) not allowed", headers: [("Allow", path.method)]))
        }
        switch path {
        case .health: return .success(.health)
        case .readiness: return .success(.readiness)
        case .metrics: return .success(.metrics)
        case .cluster: return .success(.cluster)
        case .destinations: return page(head.query).map { .destinations($0) }
        case .users: return page(head.query).map { .users($0) }
        case .user(let id): return .success(.user(id))
        case .sessions: return page(head.query).map { .sessions($0) }
        case .history: return .success(.history)
        case .disconnect(let id): return .success(.disconnect(id))
        case .dashboard: return .success(.dashboard)
        }
    }

    private static func matchPath(_ path: String) -> Result<Path?, AdminRejection> {
        switch path {
        case "/healthz": return .success(.health)
        case "/readyz": return .success(.readiness)
        case "/metrics": return .success(.metrics)
        case "/admin/cluster": return .success(.cluster)
        case "/admin/destinations": return .success(.destinations)
        case "/admin/users": return .success(.users)
        case "/admin/sessions": return .success(.sessions)
        case "/admin/history": return .success(.history)
        case "/", "/dashboard": return .success(.dashboard)
        default: break
        }
        let sessionsPrefix = "/admin/sessions/", disconnectSuffix = "/disconnect"
        if path.hasPrefix(sessionsPrefix), path.hasSuffix(disconnectSuffix),
           path.utf8.count > sessionsPrefix.utf8.count + disconnectSuffix.utf8.count {
            let segment = path.utf8.dropFirst(sessionsPrefix.utf8.count).dropLast(disconnectSuffix.utf8.count)
            guard !segment.contains(UInt8(ascii: "/")) else { return .success(nil) }
            guard let id = percentDecoded(segment, plusAsSpace: false) else {
                return .failure(AdminRejection(status: 400, message: "malformed percent-encoding in session id"))
            }
            return .success(.disconnect(id))
        }
        let prefix = "/admin/users/"
        guard path.hasPrefix(prefix) else { return .success(nil) }
        let segment = path.utf8.dropFirst(prefix.utf8.count)
        guard !segment.isEmpty, !segment.contains(UInt8(ascii: "/")) else { return .success(nil) }
        guard let id = percentDecoded(segment, plusAsSpace: false) else {
            return .failure(AdminRejection(status: 400, message: "malformed percent-encoding in user id"))
        }
        return .success(.user(id))
    }

    /// `offset` (≥ 0, default 0) and `limit` (0...1000, default 100); other parameters are ignored,
    /// and the last occurrence of a repeated one counts.
    static func page(_ query: String?) -> Result<AdminPage, AdminRejection> {
        var page = AdminPage()
        guard let query else { return .success(page) }
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard let name = percentDecoded(pair[..<equals], plusAsSpace: true),
                  let value = percentDecoded(pair[equals...].dropFirst(), plusAsSpace: true)
            else {
                return .failure(AdminRejection(status: 400, message: "malformed percent-encoding in query"))
            }
            switch name {
            case "offset":
                guard let offset = nonNegativeInteger(value) else {
                    return .failure(AdminRejection(status: 400, message: "offset must be a non-negative integer"))
                }
                page.offset = offset
            case "limit":
                guard let limit = nonNegativeInteger(value), limit <= AdminPage.maxLimit else {
                    return .failure(AdminRejection(status: 400, message: "limit must be an integer from 0 to \(AdminPage.maxLimit)"))
                }
                page.limit = limit
            default:
                continue
            }
        }
        return .success(page)
    }

    /// Decimal digits only (no sign, no spaces); nil when empty or too large for Int.
    private static func nonNegativeInteger(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }

    static func percentDecoded(_ text: Substring.UTF8View, plusAsSpace: Bool) -> String? {
        PercentEncoding.decode(text, plusAsSpace: plusAsSpace)
    }

    /// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), compared in
    /// time that depends only on the presented token's length.
    static func isAuthorized(_ authorization: String?, token: [UInt8]) -> Bool {
        guard let authorization else { return false }
        let bytes = Array(authorization.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count, !token.isEmpty else { return false }
        for index in scheme.indices where (bytes[index] | (index < 6 ? 0x20 : 0)) != scheme[index] { return false }
        var start = scheme.count
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
        return constantTimeEquals(bytes[start...], token)
    }

    /// Equality whose running time does not depend on where the first difference is.
    static func constantTimeEquals(_ presented: ArraySlice<UInt8>, _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return presented.isEmpty }
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        var offset = 0
        for byte in presented {
            difference |= byte ^ expected[offset % expected.count]
            offset += 1
        }
        return difference == 0
    }
}
