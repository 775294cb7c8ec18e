public import Router

/// What becomes of a SEND or SUBSCRIBE destination, as far as applications are concerned.
public enum ApplicationDecision: Sendable, Equatable {
    /// Not under an application prefix: the broker's ordinary topic/queue/user routing applies.
    case notApplication
    /// To the STOMP services consuming `route` (its shared queue is `route.queueName`).
    case stompService(ApplicationRoute)
    /// To the webhook of `route`.
    case webhook(ApplicationRoute, WebhookTarget)
    /// To the handler registered in this process (`ApplicationCallHandler`).
    case inProcess(ApplicationRoute)
}

/// The application route table: which route (and so which target) an application destination
/// takes. Pure: destinations in, decisions out.
///
/// Precedence does not depend on the order routes are written in (YAML maps have none): an
/// exact route beats every pattern; among patterns the most specific wins: more literal
/// segments, then fewer multi-segment wildcards, then the longer pattern, then the smaller in
/// byte order. Every prefix has a fallback `<prefix>/**` to STOMP services (unless a configured
/// route has exactly that pattern), so every application destination has a route.
public struct ApplicationRouter: Sendable {
    public let settings: ApplicationSettings
    /// Configured routes and the fallbacks, most specific first: the order that decides.
    public let routes: [ApplicationRoute]
    private var index: SubscriptionIndex<Int>

    public init(settings: ApplicationSettings, syntax: DestinationSyntax = .init()) {
        self.settings = settings
        var routes = settings.routes
        for prefix in settings.prefixes {
            let fallback = prefix + "/**"
            if !routes.contains(where: { $0.pattern == fallback }) {
                routes.append(ApplicationRoute(pattern: fallback, target: .stompService))
            }
        }
        self.routes = routes.sorted { Self.specificity($0.pattern, syntax) < Self.specificity($1.pattern, syntax) }
        index = SubscriptionIndex(syntax: syntax, cacheCapacity: 1024)
        for (position, route) in self.routes.enumerated() { index.insert(position, for: route.pattern) }
    }

    /// Sorts ascending from the most specific pattern.
    static func specificity(_ pattern: String, _ syntax: DestinationSyntax) -> (Int, Int, Int, String) {
        var literals = 0
        var multi = 0
        for segment in syntax.segments(of: pattern) {
            if syntax.multiWildcard.contains(String(segment)) {
                multi += 1
            } else if String(segment) != syntax.singleWildcard {
                literals += 1
            }
        }
        return (-literals, multi, -pattern.utf8.count, pattern)
    }

    /// True when `destination` is under one of the application prefixes.
    public func isApplicationDestination(_ destination: String) -> Bool {
        for prefix in settings.prefixes {
            let utf8 = destination.utf8
            guard utf8.starts(with: prefix.utf8) else { continue }
            let rest = utf8.dropFirst(prefix.utf8.count)
            if rest.first == UInt8(ascii: "/") || prefix.hasSuffix("/") { return true }
        }
        return false
    }

    /// The route `destination` takes.
    public mutating func decide(_ destination: String) -> ApplicationDecision {
        guard isApplicationDestination(destination) else { return .notApplication }
        // Routes are sorted most specific first: the smallest position that matches wins.
        let matches = index.match(destination)
        let exact = index.subscribers(of: destination)
        guard let position = exact.min() ?? matches.min() else { return .notApplication }
        let route = routes[position]
        switch route.target {
        case .stompService: return .stompService(route)
        case .webhook(let webhook): return .webhook(route, webhook)
        case .inProcess: return .inProcess(route)
        }
    }

    /// The STOMP-service route a service consumes by subscribing to `destination`: the
    /// destination must be exactly the pattern of such a route.
    public func serviceRoute(subscribedAs destination: String) -> ApplicationRoute? {
        routes.first { $0.pattern == destination && $0.target == .stompService }
    }

    /// The patterns services may subscribe to, for error messages.
    public var servicePatterns: [String] {
        routes.filter { $0.target == .stompService }.map(\.pattern)
    }
}
