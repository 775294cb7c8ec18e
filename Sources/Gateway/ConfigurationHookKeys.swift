internal import Webhooks
internal import Admin

extension ConfigurationLoader {
    /// Webhook calls (`webhooks.*`), connect and event hooks (`hooks.*`).
    static var webhookKeys: [ConfigurationKey] {
        [
            .integer("webhooks.timeout-ms", \.webhooks.timeoutMilliseconds, type: "milliseconds",
                     "Time one webhook attempt (connect, request, answer) may take before it counts as failed."),
            .integer("webhooks.connect-timeout-ms", \.webhooks.connectTimeoutMilliseconds, type: "milliseconds",
                     "Time connecting to a webhook backend may take (capped by webhooks.timeout-ms)."),
            .integer("webhooks.max-concurrent", \.webhooks.maxConcurrent, type: "count",
                     "Webhook calls in flight at once on one node; more wait in line."),
            .integer("webhooks.max-queued", \.webhooks.maxQueued, type: "count", minimum: 0,
                     "Webhook calls waiting for a free slot; beyond this the sender gets an ERROR at once (counted as rejected)."),
            .integer("webhooks.max-attempts", \.webhooks.maxAttempts, type: "count", maximum: 100,
                     "Attempts per webhook call, the first included; timeouts, refused connections, 408, 429 and 5xx are retried."),
            .integer("webhooks.backoff-initial-ms", \.webhooks.backoffInitialMilliseconds, type: "milliseconds", minimum: 0,
                     "Wait before the first retry of a webhook call; doubled before each further one."),
            .integer("webhooks.backoff-max-ms", \.webhooks.backoffMaxMilliseconds, type: "milliseconds", minimum: 0,
                     "Longest wait between two attempts of a webhook call."),
            .integer("webhooks.max-response-bytes", \.webhooks.maxResponseBytes, type: "bytes",
                     "Largest webhook or hook answer accepted; a longer one is a failed attempt."),
            .optionalText("hooks.connect-url", \.connectHookURL, type: "url", expected: "an http:// or https:// URL, or empty for none",
                          isValid: isHTTPURL,
                          "URL asked to authenticate every CONNECT (its credentials and headers); it answers the user and roles. Empty: off."),
            .optionalText("hooks.events-url", \.eventsHookURL, type: "url", expected: "an http:// or https:// URL, or empty for none",
                          isValid: isHTTPURL,
                          "URL notified (fire and forget) of the session events in hooks.events. Empty: off."),
            .texts("hooks.events", \.hookEvents, expected: "a list of connect, disconnect, subscribe",
                   isValid: { ["connect", "disconnect", "subscribe"].contains($0) },
                   "Session events sent to hooks.events-url."),
            .integer("hooks.events-max-queued", \.hookEventsMaxQueued, type: "count", minimum: 0,
                     "Event notifications waiting to be sent; beyond this they are dropped and counted."),
        ]
    }

    /// The server HTTP API (`api.*`).
    static var apiKeys: [ConfigurationKey] {
        [
            .text("api.host", \.apiHost, "Address the server HTTP API binds to; other than loopback, api.keys is required."),
            .optionalPort("api.port", \.apiPort, "TCP port of the server HTTP API (publish, send to users, presence, disconnect); 0 or off disables it."),
            .boolean("api.tls", \.apiTLS, "Serve the server HTTP API over TLS (https://) with tls.cert-file and tls.key-file."),
            ConfigurationKey("api.keys", shape: .list, type: "list", expected: "a list of keys of printable ASCII without spaces or commas",
                             isText: true, isSecret: true,
                             "Keys the server HTTP API accepts (Authorization: apikey <key>); empty requires none on loopback.",
                             read: { .list($0.apiKeys) }) { configuration, value in
                guard case .list(let keys) = value, keys.allSatisfy(isPrintableToken) else { return false }
                configuration.apiKeys = keys
                return true
            },
            .text("api.role", \.apiRole, expected: "a non-empty role name without spaces", isValid: { !$0.contains(" ") },
                  "Role a JWT needs to use the server HTTP API (Authorization: Bearer <token>, verified with the auth.jwt.* keys)."),
            .integer("api.max-body-bytes", \.apiMaxBodyBytes, type: "bytes", "Largest request body the server HTTP API accepts (413 beyond)."),
            .integer("api.max-batch", \.apiMaxBatch, type: "count", "Most operations in one POST /api/batch request."),
        ]
    }

    static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("http://") || text.hasPrefix("https://")) && text.count > "https://".count && !text.contains(" ")
    }

    static func isPrintableToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }
    }

    /// The API needs keys off loopback, and a port of its own.
    static func checkAPIConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        guard let apiPort = configuration.apiPort else { return }
        for (name, port) in [("listen.websocket-port", configuration.webSocketPort), ("listen.stomp-port", configuration.stompPort ?? 0),
                             ("admin.port", configuration.adminPort ?? 0)] where port == apiPort {
            throw ConfigurationError(.inconsistentValues, key: "api.port", "api.port and \(name) are both \(apiPort); give them different ports")
        }
        if configuration.apiKeys.isEmpty && !configuration.hasTokenKeys && !AdminEndpoint.isLoopback(configuration.apiHost) {
            throw ConfigurationError(.inconsistentValues, key: "api.keys",
                                     "api.host \(configuration.apiHost) is not a loopback address, so api.keys (or auth.jwt.* keys) must be set")
        }
    }
}
