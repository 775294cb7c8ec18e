internal import STOMPWire
internal import Router
internal import Broker
internal import STOMPSession
internal import HTTPWire
internal import WebSocketWire

extension ConfigurationLoader {
    /// Every setting of a node, in the order of the example file. YAML files, `STAMPEDE_*`
    /// variables, `--set` flags, `stampede config keys` and the documentation all come from here.
    public static var keys: [ConfigurationKey] {
        listenKeys + tlsKeys + compressionKeys + jsonProtocolKeys + sockJSKeys + limitKeys + queueKeys + stompKeys + destinationKeys + authKeys + applicationKeys + offlineKeys + webhookKeys + clusterKeys + adminKeys + apiKeys + runtimeKeys + conformanceKeys
    }

    private static var listenKeys: [ConfigurationKey] {
        [
            .text("listen.host", \.host, "Address the WebSocket and STOMP listeners bind to (0.0.0.0 or :: for every interface)."),
            .port("listen.websocket-port", \.webSocketPort, "TCP port of the WebSocket listener (0 picks a free port)."),
            .texts("listen.websocket-paths", \.webSocketPaths, expected: "a list of one or more paths starting with '/'", allowEmpty: false,
                   isValid: { $0.hasPrefix("/") && !$0.contains(" ") },
                   "Request paths at which the WebSocket handshake is accepted; other paths get 404."),
            .optionalPort("listen.stomp-port", \.stompPort, "TCP port of the raw STOMP listener; 0 or off disables it."),
            .texts("listen.allowed-origins", \.allowedOrigins,
                   expected: "a list of origin patterns such as 'https://*.example.com' or 'http://localhost:*', or '*'",
                   isValid: isOriginPattern,
                   "Browser Origins allowed to open a WebSocket ('*' allows all); requests without Origin are always allowed."),
            endpointsKey,
            .boolean("listen.sockjs", \.sockJS.onDefaultEndpoint,
                     "Serve SockJS under the default endpoint's paths (/ws/info, /ws/<server>/<session>/xhr_streaming, …); endpoints in listen.endpoints say sockjs=on instead."),
            .texts("listen.trusted-proxies", \.trustedProxies, expected: "a list of IP addresses", isValid: { !$0.isEmpty && !$0.contains(" ") },
                   "Peers (reverse proxies) whose X-Forwarded-For or Forwarded header names the client address in logs."),
        ]
    }

    private static var limitKeys: [ConfigurationKey] {
        [
            .integer("limits.max-connections", \.maxConnections, type: "count", "Client connections open at once; more are refused."),
            .integer("limits.new-connections-per-second", \.newConnectionsPerSecond, type: "count", minimum: 0,
                     "New connections accepted per second (burst twice that); more get 503 with Retry-After or a STOMP ERROR (0 = no limit)."),
            .integer("limits.max-pending-password-checks", \.maxPendingPasswordChecks, type: "count",
                     "Users-file passcode checks (PBKDF2, run on libuv's thread pool) in progress at once; more CONNECTs get an ERROR (server busy)."),
            .integer("limits.max-connections-per-user", \.maxConnectionsPerUser, type: "count", minimum: 0,
                     "Sessions one user may have open, cluster-wide (other nodes' counts are as of their last heartbeat); the next CONNECT gets an ERROR (0 = no limit)."),
            .integer("limits.frames-per-second", \.framesPerSecondPerConnection, type: "count", minimum: 0,
                     "Inbound frames per second per connection (burst twice that); above it the node stops reading the socket (0 = no limit)."),
            .integer("limits.bytes-per-second", \.bytesPerSecondPerConnection, type: "bytes", minimum: 0,
                     "Inbound bytes per second per connection (burst twice that); above it the node stops reading the socket (0 = no limit)."),
            .integer("limits.rate-excess-ms", \.rateExcessMilliseconds, type: "milliseconds",
                     "A connection kept over its frame or byte rate this long without a break gets an ERROR and is closed."),
            .integer("limits.max-output-buffer-bytes", \.maxOutputBufferBytes, type: "bytes",
                     "Bytes waiting to be written to one client before it is a slow consumer and is disconnected."),
            .integer("limits.connect-timeout-ms", \.connectTimeoutMilliseconds, type: "milliseconds",
                     "Time a new connection has to finish the WebSocket handshake and STOMP CONNECT."),
            .integer("limits.close-grace-ms", \.closeGraceMilliseconds, type: "milliseconds", minimum: 0,
                     "Time a closing connection has to drain its output before it is cut."),
            .integer("limits.slow-consumer-grace-ms", \.slowConsumerGraceMilliseconds, type: "milliseconds", minimum: 0,
                     "Time a client may stay over limits.max-output-buffer-bytes (but under twice it) before it is a slow consumer."),
            .integer("limits.max-buffered-bytes", \.maxBufferedBytes, type: "bytes", minimum: 0,
                     "Node-wide budget for bytes held for clients (output queues, partial inbound frames); 0: a quarter of memory, at most 256 MiB."),
            .integer("limits.flow.high-watermark-bytes", \.flowHighWatermarkBytes, type: "bytes", minimum: 0,
                     "Above this many buffered bytes, publishers whose subscribers are behind are paused; 0: half of limits.max-buffered-bytes."),
            .integer("limits.flow.low-watermark-bytes", \.flowLowWatermarkBytes, type: "bytes", minimum: 0,
                     "Under this many buffered bytes, paused publishers are read again; 0: half of the high watermark."),
            .integer("limits.flow.max-publisher-pause-ms", \.maxPublisherPauseMilliseconds, type: "milliseconds", minimum: 0,
                     "A publisher paused this long has the subscriber holding it back cut as a slow consumer (ERROR, close 1008); 0: no limit."),
            .integer("limits.flow.reader-stall-ms", \.readerStallMilliseconds, type: "milliseconds", minimum: 1,
                     "A subscriber whose socket took no bytes for this long has stopped reading: under the high watermark it no longer holds its publishers back and is cut at its own limit; one that reads within it, however slowly, slows its publishers instead."),
            .integer("limits.frame-timeout-ms", \.frameTimeoutMilliseconds, type: "milliseconds", minimum: 0,
                     "Time a started frame (WebSocket frame or message, STOMP frame) has to complete, heart-beats or not; 0: no deadline."),
            .integer("limits.max-subscriptions-per-session", \.broker.maxSubscriptionsPerSession, type: "count",
                     "Subscriptions one STOMP session may hold."),
            .integer("limits.max-unacked-per-subscription", \.broker.maxUnackedPerSubscription, type: "count",
                     "Messages delivered but not yet acknowledged on one client-ack subscription."),
            .integer("limits.destination-table-size", \.broker.destinationTableCapacity, type: "count", minimum: 0,
                     "Distinct SEND destinations kept parsed (kind, route) so a SEND does not scan its destination again; the table empties when full; 0: parse every SEND."),
            .integer("limits.stomp.max-frame-bytes", \.stomp.maxFrameBytes, type: "bytes",
                     "Size of one STOMP frame: command, headers and body."),
            .integer("limits.stomp.max-headers", \.stomp.maxHeaders, type: "count", "Header lines in one STOMP frame."),
            .integer("limits.stomp.max-header-line-bytes", \.stomp.maxHeaderLineBytes, type: "bytes", maximum: 65_535,
                     "Length of one STOMP command or header line."),
            .integer("limits.stomp.max-body-bytes", \.stomp.maxBodyBytes, type: "bytes", "Size of one STOMP frame body."),
            .integer("limits.websocket.max-message-bytes", \.webSocket.maxMessageBytes, type: "bytes",
                     "Size of one WebSocket message after its fragments are joined."),
            .integer("limits.websocket.max-frame-bytes", \.webSocket.maxFrameBytes, type: "bytes", "Payload size of one WebSocket frame."),
            .integer("limits.http.max-request-line-bytes", \.http.maxRequestLineBytes, type: "bytes",
                     "Length of the HTTP request line of a handshake (414 beyond)."),
            .integer("limits.http.max-header-count", \.http.maxHeaderCount, type: "count", "HTTP header fields in one request (431 beyond)."),
            .integer("limits.http.max-header-bytes", \.http.maxHeaderBytes, type: "bytes", "Size of one HTTP request head (431 beyond)."),
            .integer("limits.http.max-body-bytes", \.http.maxBodyBytes, type: "bytes", "Content-Length accepted on an HTTP request (413 beyond)."),
        ]
    }

    private static var queueKeys: [ConfigurationKey] {
        [
            .integer("queues.buffer-capacity", \.broker.queueBufferCapacity, type: "count",
                     "Messages a queue holds while no subscriber can take them."),
            .choice("queues.overflow", \.broker.queueOverflow, names: ["drop-oldest", "reject-new"],
                    "What a full queue does with a new message: drop-oldest discards its oldest, reject-new refuses the SEND."),
            .integer("queues.default-prefetch", \.broker.defaultPrefetch, type: "count", minimum: 0,
                     "Unacknowledged messages sent to a subscription without a prefetch-count header (0 = unlimited)."),
        ]
    }

    private static var stompKeys: [ConfigurationKey] {
        [
            ConfigurationKey("stomp.versions", shape: .list, type: "list", expected: "a list of STOMP versions from 1.0, 1.1, 1.2, without repeats",
                             isText: true, "STOMP versions offered at CONNECT, preferred first.",
                             read: { .list($0.session.supportedVersions.map(\.rawValue)) }) { configuration, value in
                guard case .list(let names) = value, !names.isEmpty, Set(names).count == names.count else { return false }
                let versions = names.compactMap(STOMPVersion.init(rawValue:))
                guard versions.count == names.count else { return false }
                configuration.session.supportedVersions = versions
                return true
            },
            ConfigurationKey("stomp.heart-beat", type: "heart-beat", expected: "two intervals in milliseconds 'send,receive' such as '10000,10000' (0 = none)",
                             isText: true, "Server heart-beat offer sx,sy in milliseconds: how often it can send, how often it wants to hear.",
                             read: { .scalar($0.session.heartBeat.headerValue) }) { configuration, value in
                guard case .scalar(let text) = value, let heartBeat = HeartBeat(header: text) else { return false }
                configuration.session.heartBeat = heartBeat
                return true
            },
            .integer("stomp.heart-beat-tolerance", \.session.heartBeatToleranceFactor, type: "factor",
                     "A client is dead after this many of its heart-beat intervals pass without a byte from it."),
            .text("stomp.server-name", \.session.serverName, allowEmpty: true, "Value of the server header in CONNECTED (empty sends none)."),
            .integer("stomp.max-transactions", \.session.maxTransactions, type: "count", minimum: 0,
                     "Transactions one session may have open at once (0 forbids transactions)."),
            .integer("stomp.max-frames-per-transaction", \.session.maxFramesPerTransaction, type: "count",
                     "SEND, ACK and NACK frames buffered in one transaction."),
        ]
    }

    private static var destinationKeys: [ConfigurationKey] {
        [
            .text("destinations.topic-prefix", \.prefixes.topic, "Destinations starting with this are topics: every subscriber gets each message."),
            .text("destinations.queue-prefix", \.prefixes.queue, "Destinations starting with this are queues: each message goes to one subscriber."),
            .text("destinations.user-prefix", \.prefixes.user, "Destinations starting with this are delivered to one user's sessions."),
            ConfigurationKey("destinations.wildcard-separators", shape: .list, type: "list",
                             expected: "a list of single punctuation characters other than ',' such as '/' or '.'", isText: true,
                             "Characters that split a destination into the segments wildcards match.",
                             read: { .list($0.destinationSyntax.separators.map { String(Unicode.Scalar($0)) }) }) { configuration, value in
                guard case .list(let items) = value, !items.isEmpty else { return false }
                var separators: [UInt8] = []
                for item in items {
                    guard item.utf8.count == 1, let byte = item.utf8.first, isSeparatorByte(byte), !separators.contains(byte) else { return false }
                    separators.append(byte)
                }
                configuration.destinationSyntax.separators = separators
                return true
            },
            .text("destinations.single-wildcard", \.destinationSyntax.singleWildcard, "Subscription segment that matches exactly one segment."),
            .texts("destinations.multi-wildcard", \.destinationSyntax.multiWildcard, expected: "a list of non-empty strings",
                   isValid: { !$0.isEmpty }, "Subscription segments that match any number of trailing segments."),
        ]
    }

    private static var runtimeKeys: [ConfigurationKey] {
        [
            .integer("runtime.tick-ms", \.tickMilliseconds, type: "milliseconds", "Interval of the heart-beat and timeout checks."),
            .integer("runtime.memory-trim-bytes", \.memoryTrimThresholdBytes, type: "bytes", minimum: 0,
                     "After this many buffered bytes were released, free heap memory is returned to the OS (malloc_trim); 0: never."),
            .integer("runtime.shutdown-grace-ms", \.shutdownGraceMilliseconds, type: "milliseconds", minimum: 0,
                     "Time a shutdown waits for clients to get their goodbye before closing them hard."),
            .choice("log.level", \.logLevel, names: logLevels, "Least severe log level written to standard error."),
            .choice("log.format", \.logFormat, names: logFormats,
                    "Log line format on standard error: text, or json (one object per line: ts, level, label, msg and the metadata)."),
            .integer("log.session-lines-per-second", \.sessionLogLinesPerSecond, type: "count", minimum: 0,
                     "Session connected/closed lines (info) written per second at most; more are counted in stampede_log_lines_suppressed_total (0: none)."),
        ]
    }

    /// Log line formats.
    public static let logFormats = ["text", "json"]

    /// swift-log's level names, least severe first.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// `*`, or `scheme://host[:port]` where host and port may use `*`; no spaces or paths.
    static func isOriginPattern(_ pattern: String) -> Bool {
        if pattern == "*" { return true }
        guard let range = pattern.firstRange(of: "://") else { return false }
        let scheme = pattern[..<range.lowerBound], rest = pattern[range.upperBound...]
        return !scheme.isEmpty && !rest.isEmpty && scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
            && !rest.contains(where: { $0 == "/" || $0 == " " || $0 == "," })
    }

    static func isSeparatorByte(_ byte: UInt8) -> Bool {
        let character = Character(Unicode.Scalar(byte))
        return byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ",") && !character.isLetter && !character.isNumber
    }
}

extension ConfigurationKey {
    /// A string-backed enum, listed by `names` (its raw values).
    static func choice<Choice: RawRepresentable>(
        _ name: String, _ path: WritableKeyPath<NodeConfiguration, Choice>, names: [String], _ summary: String
    ) -> ConfigurationKey where Choice.RawValue == String {
        ConfigurationKey(name, type: "name", expected: "one of " + names.joined(separator: ", "), summary,
                         read: { .scalar($0[keyPath: path].rawValue) }) { configuration, value in
            guard case .scalar(let text) = value, names.contains(text), let choice = Choice(rawValue: text) else { return false }
            configuration[keyPath: path] = choice
            return true
        }
    }
}
