internal import FoundationEssentials
internal import HTTPWire

/// `GET /admin/cluster`: every node, sorted by id.
public struct AdminClusterBody: Codable, Sendable, Equatable {
    /// Every known node.
    public var nodes: [AdminNodeView]

    /// Creates a body.
    public init(nodes: [AdminNodeView]) {
        self.nodes = nodes
    }
}

/// `GET /admin/destinations`: one page of destinations sorted by name; `total` counts all of them.
public struct AdminDestinationsBody: Codable, Sendable, Equatable {
    /// Destinations in all pages.
    public var total: Int
    /// Index of the first destination of this page.
    public var offset: Int
    /// Most destinations a page holds.
    public var limit: Int
    /// This page.
    public var destinations: [AdminDestinationView]

    /// Creates a body.
    public init(total: Int, offset: Int, limit: Int, destinations: [AdminDestinationView]) {
        self.total = total
        self.offset = offset
        self.limit = limit
        self.destinations = destinations
    }
}

/// `GET /admin/users`: one page of users sorted by name; the counts cover all users.
public struct AdminUsersBody: Codable, Sendable, Equatable {
    /// Users in all pages.
    public var total: Int
    /// Users with at least one session.
    public var online: Int
    /// Sessions of all users.
    public var sessions: Int
    /// Index of the first user of this page.
    public var offset: Int
    /// Most users a page holds.
    public var limit: Int
    /// This page.
    public var users: [AdminUserView]

    /// Creates a body.
    public init(total: Int, online: Int, sessions: Int, offset: Int, limit: Int, users: [AdminUserView]) {
        self.total = total
        self.online = online
        self.sessions = sessions
        self.offset = offset
        self.limit = limit
        self.users = users
    }
}

/// Builds the admin endpoint's responses; every one closes the connection.
enum AdminResponses {
    static let closeHeaders = [("Cache-Control", "no-store"), ("Connection", "close")]

    static func cluster(_ nodes: [AdminNodeView]) -> AdminClusterBody {
        AdminClusterBody(nodes: nodes.sorted { $0.id < $1.id })
    }

    static func destinations(_ all: [AdminDestinationView], page: AdminPage) -> AdminDestinationsBody {
        let sorted = all.sorted { $0.destination < $1.destination }
        return AdminDestinationsBody(
            total: sorted.count, offset: page.offset, limit: page.limit, destinations: Array(sorted[window(page, count: sorted.count)]))
    }

    static func users(_ all: [AdminUserView], page: AdminPage) -> AdminUsersBody {
        let sorted = all.sorted { $0.user < $1.user }
        return AdminUsersBody(
            total: sorted.count,
            online: sorted.reduce(0) { $0 + ($1.sessions > 0 ? 1 : 0) },
            sessions: sorted.reduce(0) { $0 + $1.sessions },
            offset: page.offset, limit: page.limit,
            users: Array(sorted[window(page, count: sorted.count)]))
    }

    /// The indices a page covers, clamped to the list (an offset past the end gives an empty page).
    static func window(_ page: AdminPage, count: Int) -> Range<Int> {
        let start = min(page.offset, count)
        return start..<(start + min(page.limit, count - start))
    }

    /// `{"status":"<text>"}` for /healthz and /readyz.
    static func status(_ text: String, code: Int) -> HTTPResponse {
        struct Body: Encodable { var status: String }
        return json(Body(status: text), status: code)
    }

    /// The value as JSON with sorted keys; 500 if it cannot be encoded (a NaN rate, say).
    static func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return HTTPResponse.jsonError(status: 500, message: "response could not be encoded as JSON")
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + closeHeaders, body: Array(data))
    }

    static func metrics(_ samples: [MetricSample]) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [("Content-Type", PrometheusExposition.contentType)] + closeHeaders,
            body: Array(PrometheusExposition.render(samples).utf8))
    }

    /// A data source error; statuses outside 400...599 become 500.
    static func error(_ error: AdminError) -> HTTPResponse {
        HTTPResponse.jsonError(status: (400...599).contains(error.status) ? error.status : 500, message: error.message)
    }
}

/// Answers one request: routes it, asks the data source, and calls `respond` once, synchronously or
/// on a later loop turn, as the data source does.
final class AdminRequestHandler {
    private let token: [UInt8]?
    /// Weak: the node owns the endpoint and is its data source.
    private weak var dataSource: (any AdminDataSource)?

    init(token: String?, dataSource: any AdminDataSource) {
        self.token = token.map { Array($0.utf8) }
        self.dataSource = dataSource
    }

    func handle(_ head: HTTPRequestHead, respond: @escaping (HTTPResponse) -> Void) {
        let route: AdminRoute
        switch AdminRouting.route(head, token: token) {
        case .success(let matched): route = matched
        case .failure(let rejection):
            respond(rejection.response)
            return
        }
        guard let dataSource else {
            respond(HTTPResponse.jsonError(status: 503, message: "node is shutting down"))
            return
        }
        switch route {
        case .health:
            respond(AdminResponses.status("ok", code: 200))
        case .readiness:
            let readiness = dataSource.adminReadiness
            respond(readiness.ready ? AdminResponses.status("ok", code: 200) : AdminResponses.status(readiness.status, code: 503))
        case .metrics:
            respond(AdminResponses.metrics(dataSource.adminMetrics))
        case .cluster:
            dataSource.adminNodes { result in
                respond(result.map { AdminResponses.json(AdminResponses.cluster($0)) }.recovered)
            }
        case .destinations(let page):
            dataSource.adminDestinations { result in
                respond(result.map { AdminResponses.json(AdminResponses.destinations($0, page: page)) }.recovered)
            }
        case .users(let page):
            dataSource.adminUsers { result in
                respond(result.map { AdminResponses.json(AdminResponses.users($0, page: page)) }.recovered)
            }
        case .sessions(let page):
            let node = dataSource.adminNodeID
            dataSource.adminSessions { result in
                respond(result.map { all in
                    AdminResponses.json(AdminSessionsBody(node: node, total: all.count, offset: page.offset, limit: page.limit,
                                                          sessions: Array(all[AdminResponses.window(page, count: all.count)])))
                }.recovered)
            }
        case .history:
            respond(AdminResponses.json(AdminHistoryBody(node: dataSource.adminNodeID, samples: dataSource.adminHistory)))
        case .disconnect(let id):
            dataSource.adminDisconnect(session: id) { result in
                struct Body: Encodable { var disconnected: String }
                respond(result.map { AdminResponses.json(Body(disconnected: id)) }.recovered)
            }
        case .dashboard:
            respond(HTTPResponse(
                status: 200,
                headers: [("Content-Type", "text/html; charset=utf-8"),
                          ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'"),
                          ("X-Content-Type-Options", "nosniff")] + AdminResponses.closeHeaders,
                body: AdminDashboard.html))
        case .user(let id):
            dataSource.adminUsers { result in
                respond(result.map { users in
                    guard let user = users.first(where: { $0.user == id }) else {
                        return HTTPResponse.jsonError(status: 404, message: "no such user")
                    }
                    return AdminResponses.json(user)
                }.recovered)
            }
        }
    }
}

extension Result<HTTPResponse, AdminError> {
    /// The response, or the error's JSON answer.
    fileprivate var recovered: HTTPResponse {
        switch self {
        case .success(let response): response
        case .failure(let error): AdminResponses.error(error)
        }
    }
}
