internal import RedisClient
internal import Admin
extension ConfigurationLoader {
    /// Joining a cluster through Redis. Without `cluster.redis-url` the node runs alone.
    static var clusterKeys: [ConfigurationKey] {
        [
            .optionalText("cluster.redis-url", \.redisURL, type: "url",
                          expected: "redis://[[user]:password@]host[:port][/db] (port 1-65535, default 6379), or empty for a single node",
                          isSecret: true, isValid: { redisEndpoint(fromURL: $0) != nil },
                          "Redis shared by the cluster (AUTH with the ACL user and password, SELECT db, right after each connect); empty runs a single node with the in-memory router."),
            .optionalText("cluster.node-id", \.nodeID, type: "node id", expected: "1-64 characters of A-Z a-z 0-9 . _ -, or empty to derive one",
                          isValid: isNodeID,
                          "Unique name of this node in the cluster; empty derives one from the host name, process id and a random suffix."),
            .optionalText("cluster.advertised-address", \.advertisedAddress, expected: "an address without spaces such as 10.0.0.5:15674, or empty",
                          isValid: { !$0.contains(where: isSpaceOrControl) },
                          "Address shown for this node in the admin view; empty uses listen.host:listen.websocket-port."),
            .text("cluster.key-prefix", \.redisKeyPrefix, expected: "a non-empty string without spaces", isValid: { !$0.contains(where: isSpaceOrControl) },
                  "Prefix of every Redis key and channel, so several clusters can share one Redis."),
            .integer("cluster.heartbeat-ms", \.nodeHeartbeatMilliseconds, type: "milliseconds",
                     "How often the node refreshes its liveness key in Redis and looks for dead peers."),
            .integer("cluster.node-timeout-ms", \.nodeTimeoutMilliseconds, type: "milliseconds",
                     "A node silent for this long is dead and its subscriptions are dropped; must exceed cluster.heartbeat-ms."),
            .integer("cluster.interest-grace-ms", \.interestGraceMilliseconds, type: "milliseconds", minimum: 0,
                     "Wait after the last local subscriber of a destination leaves before the node stops receiving it (0 = at once)."),
            .integer("cluster.pull-batch", \.clusterPullBatch, type: "count",
                     "Most queue messages the node takes from the cluster in one pull (bounded by its free queue space)."),
            .integer("cluster.redis-reconnect-max-ms", \.redisReconnectMaxMilliseconds, type: "milliseconds",
                     "Longest wait between attempts to reconnect to Redis (the backoff doubles up to this)."),
            .integer("cluster.redis-connect-timeout-ms", \.redisConnectTimeoutMilliseconds, type: "milliseconds",
                     "Time one attempt to connect to Redis may take before it is abandoned."),
            .integer("cluster.redis-ping-interval-ms", \.redisPingIntervalMilliseconds, type: "milliseconds",
                     "How often the node probes Redis (a PUBLISH on the command connection that must come back on the subscriber connection)."),
            .integer("cluster.redis-timeout-ms", \.redisTimeoutMilliseconds, type: "milliseconds",
                     "A probe unanswered for this long marks Redis stalled: /readyz answers 503 and cross-node traffic is held back as when Redis is down."),
            .integer("cluster.redis-stall-reconnect-ms", \.redisStallReconnectMilliseconds, type: "milliseconds",
                     "After this long stalled the node drops both Redis connections and connects again (at least cluster.redis-timeout-ms)."),
            .integer("cluster.max-pending-redis-bytes", \.maxPendingRedisBytes, type: "bytes", minimum: 0,
                     "Commands sent to Redis and not yet answered past this many bytes: the link is congested (/readyz 503, publications counted as undeliverable, queue SENDs kept on the node) until they fall to half; 0: no bound."),
        ]
    }

    /// The HTTP endpoint for health checks and the cluster view.
    static var adminKeys: [ConfigurationKey] {
        [
            .text("admin.host", \.adminHost, "Address the admin endpoint binds to; other than loopback, admin.token is required."),
            .optionalPort("admin.port", \.adminPort, "TCP port of the admin endpoint (/healthz, /readyz, /metrics, /admin/…); 0 or off disables it."),
            .optionalText("admin.token", \.adminToken, expected: "printable ASCII without spaces, or empty for none", isSecret: true,
                          isValid: { $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } },
                          "Bearer token the admin endpoint requires (Authorization: Bearer …); empty requires none."),
            .boolean("admin.tls", \.adminTLS, "Serve the admin endpoint over TLS (https://) with tls.cert-file and tls.key-file."),
            .integer("admin.history-samples", \.adminHistorySamples, type: "count", minimum: 0,
                     "Samples of the node's rates kept for the dashboard chart (one per cluster.heartbeat-ms; 300 = 5 minutes at 1 s)."),
            .integer("admin.latency-sample-every", \.latencySampleEvery, type: "count", minimum: 0,
                     "1 in this many publications is timed from arrival to the flush to its subscribers' sockets (stampede_delivery_latency_seconds); 0 turns it off."),
        ]
    }

    /// Host and port of a `redis://[[user]:password@]host[:port][/db]` URL (IPv6 hosts in
    /// brackets, returned without them); nil for anything else, including queries.
    public static func redisEndpoint(fromURL url: String) -> (host: String, port: Int)? {
        guard url.hasPrefix("redis://"), RedisEndpoint(url: url) != nil else { return nil }
        var authority = url.dropFirst("redis://".count)
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        let host: Substring, portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.first == ":" else { return nil }
            portText = rest.isEmpty ? nil : rest.dropFirst()
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else { return nil }
        }
        guard !host.isEmpty else { return nil }
        guard let portText else { return (String(host), 6379) }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port) else {
            return nil
        }
        return (String(host), port)
    }

    /// 1-64 characters of A-Z a-z 0-9 . _ - (safe in Redis key names, logs and URLs).
    static func isNodeID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
    }

    /// Cluster and admin rules that involve more than one key.
    static func checkClusterConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        let timeout = configuration.nodeTimeoutMilliseconds, heartbeat = configuration.nodeHeartbeatMilliseconds
        if timeout <= heartbeat {
            throw ConfigurationError(.inconsistentValues, key: "cluster.node-timeout-ms",
                                     "cluster.node-timeout-ms (\(timeout)) must be greater than cluster.heartbeat-ms (\(heartbeat))")
        }
        guard let adminPort = configuration.adminPort else { return }
        for (name, port) in [("listen.websocket-port", configuration.webSocketPort), ("listen.stomp-port", configuration.stompPort ?? 0)]
        where port == adminPort {
            throw ConfigurationError(.inconsistentValues, key: "admin.port", "admin.port and \(name) are both \(adminPort); give them different ports")
        }
        if configuration.adminToken == nil && !AdminEndpoint.isLoopback(configuration.adminHost) {
            throw ConfigurationError(.inconsistentValues, key: "admin.token",
                                     "admin.host \(configuration.adminHost) is not a loopback address, so admin.token must be set")
        }
    }
}

extension NodeConfiguration {
    /// Host and port of `redisURL`; nil for a single node.
    public var redisEndpoint: (host: String, port: Int)? {
        redisURL.flatMap(ConfigurationLoader.redisEndpoint(fromURL:))
    }
}

private func isSpaceOrControl(_ character: Character) -> Bool {
    character.isWhitespace || character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
}
