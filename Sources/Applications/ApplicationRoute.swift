/// Where the messages of one application route go.
public enum ApplicationTarget: Sendable, Equatable {
    /// Backend services connected over STOMP (a session with the service role) that subscribe to
    /// the route's pattern; each message goes to exactly one of them, cluster-wide.
    case stompService
    /// An HTTP endpoint the node POSTs each call to (see `ApplicationWebhookDispatcher`).
    case webhook(WebhookTarget)
    /// Swift closures in the same process (`StampedeEmbedded`); set in code, not in configuration.
    case inProcess
}

/// The HTTP endpoint of a webhook route. Timeouts, concurrency and retries are node-wide
/// webhook settings; only the address is per route.
public struct WebhookTarget: Sendable, Equatable {
    /// `http://` or `https://` URL receiving the JSON POST.
    public var url: String

    public init(url: String) {
        self.url = url
    }
}

/// One entry of `applications.routes`: application destinations matching `pattern` go to `target`.
public struct ApplicationRoute: Sendable, Equatable {
    /// An exact application destination or a wildcard pattern (`/app/chat.**`).
    public var pattern: String
    public var target: ApplicationTarget

    public init(pattern: String, target: ApplicationTarget = .stompService) {
        self.pattern = pattern
        self.target = target
    }

    /// The name of the shared queue holding this route's messages for STOMP services: the
    /// pattern itself. Application destinations never start with the queue prefix, so it cannot
    /// collide with a client's `/queue/...`.
    public var queueName: String { pattern }

    /// The configuration spelling of the target: `stomp-service` or `webhook:<url>`.
    public var targetText: String {
        switch target {
        case .stompService: "stomp-service"
        case .webhook(let webhook): "webhook:" + webhook.url
        case .inProcess: "in-process"
        }
    }

    /// Reads the configuration spelling of a target; nil when it is neither form.
    public static func target(fromText text: String) -> ApplicationTarget? {
        if text == "stomp-service" { return .stompService }
        guard text.hasPrefix("webhook:") else { return nil }
        let url = String(text.dropFirst("webhook:".count))
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > "https://".count, !url.contains(" ") else { return nil }
        return .webhook(WebhookTarget(url: url))
    }
}

/// The `applications.*` settings.
public struct ApplicationSettings: Sendable, Equatable {
    /// Destination prefixes of application destinations (`/app` by default), without a
    /// trailing `/`: `/app` covers `/app/x` and `/app/a.b`, not `/apple`.
    public var prefixes: [String] {
        didSet { if prefixes.contains(where: { Self.normalized($0) != $0 }) { prefixes = prefixes.map(Self.normalized) } }
    }
    /// Routes as configured. Whatever no route matches goes to STOMP services through the
    /// fallback route `<prefix>/**` of its prefix.
    public var routes: [ApplicationRoute]
    /// The role that makes a session a backend service (consumer of application routes, allowed
    /// to reply to one session).
    public var serviceRole: String

    public init(prefixes: [String] = ["/app"], routes: [ApplicationRoute] = [], serviceRole: String = "service") {
        self.prefixes = prefixes.map(Self.normalized)
        self.routes = routes
        self.serviceRole = serviceRole
    }

    /// `/app/` and `/app` are the same prefix.
    static func normalized(_ prefix: String) -> String {
        var text = Substring(prefix)
        while text.count > 1, text.last == "/" { text.removeLast() }
        return String(text)
    }
}
