internal import Applications
internal import Broker

extension ConfigurationLoader {
    /// Application destinations (`/app`): which backend handles them.
    static var applicationKeys: [ConfigurationKey] {
        [
            .texts("applications.prefixes", \.applications.prefixes,
                   expected: "a list of destination prefixes such as /app, each starting with '/' and without wildcards or spaces",
                   isValid: { $0.hasPrefix("/") && $0.count > 1 && !$0.contains(" ") && !$0.contains("*") && !$0.contains("#") },
                   "Destination prefixes whose SENDs and SUBSCRIBEs go to a backend instead of subscribers; empty turns applications off."),
            ConfigurationKey("applications.routes", shape: .map, type: "map",
                             expected: "a map of application destination or pattern to 'stomp-service' or 'webhook:<http(s) url>'",
                             isText: true,
                             "Backend of each application destination pattern; the most specific pattern wins, the rest goes to STOMP services.",
                             read: { configuration in
                                 var pairs: [String: String] = [:]
                                 for route in configuration.applications.routes { pairs[route.pattern] = route.targetText }
                                 return .map(pairs)
                             }) { configuration, value in
                guard case .map(let pairs) = value else { return false }
                var routes: [ApplicationRoute] = []
                for (pattern, text) in pairs.sorted(by: { $0.key < $1.key }) {
                    guard pattern.hasPrefix("/"), !pattern.contains(" "), let target = ApplicationRoute.target(fromText: text.trimmingSpaces) else { return false }
                    routes.append(ApplicationRoute(pattern: pattern, target: target))
                }
                configuration.applications.routes = routes
                return true
            },
            .text("applications.service-role", \.applications.serviceRole, expected: "a non-empty role name without spaces",
                  isValid: { !$0.contains(" ") },
                  "Role that makes a session a backend service: it may consume application routes and reply to one session."),
            .texts("applications.service-users", \.serviceUsers, expected: "a list of logins",
                   isValid: { !$0.isEmpty && !$0.contains(" ") },
                   "Logins that have the service role whatever their other roles (until roles come from the identity configuration)."),
            .texts("presence.destinations", \.presenceDestinations, expected: "a list of destinations or patterns starting with '/'",
                   isValid: { $0.hasPrefix("/") && !$0.contains(" ") },
                   "Destinations whose users' joins and leaves are published to a companion destination (empty: presence off)."),
            .text("presence.suffix", \.presenceSuffix, expected: "a non-empty suffix without spaces", isValid: { !$0.contains(" ") },
                  "Appended to a destination to name its presence destination: /topic/room1 -> /topic/room1.presence."),
        ]
    }
}

extension ConfigurationLoader {
    /// Application prefixes may not overlap the broker's, and every route must lie under one.
    static func checkApplicationConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        let router = ApplicationRouter(settings: configuration.applications, syntax: configuration.destinationSyntax)
        for prefix in configuration.applications.prefixes {
            for brokerPrefix in [configuration.prefixes.topic, configuration.prefixes.queue, configuration.prefixes.user]
            where (prefix + "/").hasPrefix(brokerPrefix) || brokerPrefix.hasPrefix(prefix + "/") {
                throw ConfigurationError(.inconsistentValues, key: "applications.prefixes",
                                         "application prefix '\(prefix)' overlaps the destination prefix '\(brokerPrefix)'")
            }
        }
        for route in configuration.applications.routes where !router.isApplicationDestination(route.pattern) {
            throw ConfigurationError(.inconsistentValues, key: "applications.routes",
                                     "route '\(route.pattern)' is not under an application prefix (\(configuration.applications.prefixes.joined(separator: ", ")))")
        }
    }
}
