internal import Admin

extension ConfigurationLoader {
    /// Test-suite hooks that are off in every real deployment.
    static var conformanceKeys: [ConfigurationKey] {
        [
            .optionalText("conformance.echo-path", \.conformanceEchoPath, type: "path", expected: "a path starting with /, or empty for none",
                          isValid: { $0.hasPrefix("/") && !$0.contains(" ") },
                          "A WebSocket endpoint that echoes every message back (Autobahn|Testsuite runs against it); loopback nodes only; empty: none."),
            .optionalText("conformance.sockjs-path", \.conformanceSockJSPath, type: "path", expected: "a path starting with /, or empty for none",
                          isValid: { $0.hasPrefix("/") && !$0.hasSuffix("/") && !$0.contains(" ") },
                          "SockJS echo, close, disabled_websocket_echo and cookie_needed_echo services under this path (the sockjs-protocol test suite runs against them); loopback nodes only; empty: none."),
        ]
    }
}

extension ConfigurationLoader {
    /// The echo endpoint answers anyone without credentials, so it never faces a network, and it
    /// must not shadow a real endpoint's path.
    static func checkConformanceConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        if configuration.conformanceSockJSPath != nil, !AdminEndpoint.isLoopback(configuration.host) {
            throw ConfigurationError(.inconsistentValues, key: "conformance.sockjs-path",
                                     "conformance.sockjs-path needs a loopback listen.host (it answers without authentication), not \(configuration.host)")
        }
        guard let path = configuration.conformanceEchoPath else { return }
        if !AdminEndpoint.isLoopback(configuration.host) {
            throw ConfigurationError(.inconsistentValues, key: "conformance.echo-path",
                                     "conformance.echo-path needs a loopback listen.host (it answers without authentication), not \(configuration.host)")
        }
        let taken = configuration.effectiveEndpoints.filter { $0.wireProtocol != .echo }.flatMap(\.paths)
        if taken.contains(path) {
            throw ConfigurationError(.inconsistentValues, key: "conformance.echo-path", "conformance.echo-path \(path) is already an endpoint's path")
        }
    }
}
