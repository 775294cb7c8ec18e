import TLS
import ArgumentParser

extension Transport: ExpressibleByArgument {}

/// Where the clients connect and how many sockets they may use; shared by every scenario.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "ws (STOMP over WebSocket), tcp (raw STOMP), or json (the plain JSON WebSocket protocol: fanout receivers only; the publisher speaks STOMP over WebSocket on --ws-path).")
    var transport: Transport = .ws

    @Option(help: "The node's address; loopback only (127.0.0.0/8, localhost, ::1).")
    var host = "127.0.0.1"

    @Option(help: "The node's port (default: 15674 for ws, 61613 for tcp).")
    var port: Int?

    @Option(name: .customLong("ws-path"), help: "WebSocket path.")
    var webSocketPath = "/ws"

    @Option(name: .customLong("json-path"), help: "Path of the node's protocol=json endpoint (--transport json; it needs user-id-param=on).")
    var jsonPath = "/api/ws/connect"

    @Option(name: .customLong("source-first"), help: "First loopback source address clients bind to.")
    var sourceFirst = "127.0.0.1"

    @Option(name: .customLong("connections-per-source"),
            help: ArgumentHelp("""
                Connections bound to one source address before the next (127.0.0.1, .2, ...) is used; 0: no bind, \
                the kernel chooses (one address reaches about 28,000 connections per node port). Small values keep \
                bind()'s port search short.
                """))
    var connectionsPerSource = 1_000

    @Option(name: .customLong("connect-concurrency"), help: "Handshakes in progress at once.")
    var connectConcurrency = 200

    @Option(help: "STOMP login header (e.g. guest for RabbitMQ).")
    var login: String?

    @Option(help: "STOMP passcode header.")
    var passcode: String?

    @Option(name: .customLong("setup-timeout"), help: "Seconds allowed for connecting and subscribing.")
    var setupTimeout: Double = 60

    @Option(name: .customLong("node-pid"), help: "PID of the broker, to report its CPU time and RSS.")
    var nodePID: Int32?

    @Flag(help: "Print the report as one JSON object instead of a table.")
    var json = false

    @Flag(help: "Connect with TLS (wss:// or STOMP over TLS; the node's certificate is not verified: loopback measurements only).")
    var tls = false

    @Flag(help: "Offer permessage-deflate (ws only; the node needs websocket.permessage-deflate.enabled) and inflate what it compresses.")
    var deflate = false

    func validate() throws {
        guard LoopbackAddress.isLoopbackHost(host) else {
            throw ValidationError("--host \(host): only loopback targets are allowed (127.0.0.0/8, localhost, ::1)")
        }
        guard LoopbackAddress(sourceFirst) != nil else {
            throw ValidationError("--source-first \(sourceFirst): must be an IPv4 address in 127.0.0.0/8")
        }
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be 1...65535") }
        guard (0...1_000_000).contains(connectionsPerSource) else { throw ValidationError("--connections-per-source must be 0...1000000") }
        guard (1...10_000).contains(connectConcurrency) else { throw ValidationError("--connect-concurrency must be 1...10000") }
        guard setupTimeout > 0, setupTimeout <= 600 else { throw ValidationError("--setup-timeout must be in (0, 600] seconds") }
        if deflate, transport != .ws { throw ValidationError("--deflate needs --transport ws") }
        if connectionsPerSource > 0, host == "::1" || host == "[::1]" {
            throw ValidationError("IPv6 target: use --connections-per-source 0 (source addresses are IPv4)")
        }
    }

    /// Settings for clients of `port` (nil: `--port` or the transport's default).
    func clientSettings(port override: Int? = nil) -> ClientSettings {
        ClientSettings(
            transport: transport, host: LoopbackAddress.literal(forHost: host),
            port: override ?? port ?? (transport == .tcp ? 61613 : 15674),
            webSocketPath: transport == .json ? jsonPath : webSocketPath, login: login, passcode: passcode,
            tls: tls ? try? TLSContext(clientTrusting: nil) : nil, deflate: deflate)
    }

    var sourcePlan: SourceAddressPlan {
        // validate() guarantees the address parses.
        SourceAddressPlan(first: LoopbackAddress(sourceFirst) ?? LoopbackAddress("127.0.0.1").unsafelyUnwrapped,
                          connectionsPerSource: connectionsPerSource)
    }

    /// Refuses a connection count this process cannot hold (one descriptor each, plus a margin).
    func checkSocketBudget(_ connections: Int) throws {
        let limit = ProcessStats.openFileLimit()
        guard connections + 32 <= limit else {
            throw ValidationError("""
                \(connections) connections need \(connections + 32) file descriptors but this process may open \(limit) \
                (ulimit -n); run several stampede-bench processes with different --source-first (docs/benchmarks.md)
                """)
        }
        let sources = sourcePlan.sourceCount(forConnections: connections)
        guard sourcePlan.connectionsPerSource == 0 || sourcePlan.first.advanced(by: sources - 1) != nil else {
            throw ValidationError("not enough loopback source addresses after \(sourceFirst)")
        }
    }
}

/// Message size, pace and bounds of the scenarios that publish.
struct MessageOptions: ParsableArguments {
    @Option(help: "Seconds of publishing.")
    var duration: Double = 10

    @Option(help: "Messages per second, all publishers together; 0: as fast as the in-flight window allows.")
    var rate = 0

    @Option(help: "With --rate 0: messages sent but not yet received, at most (per publisher).")
    var window = 100

    @Option(name: .customLong("message-bytes"), help: "Body size in bytes (at least \(Payload.minimumBytes)).")
    var messageBytes = 100

    @Option(name: .customLong("max-messages"), help: "Stop publishing after this many messages in all (the run then drains and ends).")
    var maxMessages = 2_000_000

    @Option(name: .customLong("warmup-ms"), help: "Pause between the last SUBSCRIBE receipt and the first message.")
    var warmupMilliseconds = 500

    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait after publishing for messages still on the way; later ones count as lost.")
    var drainTimeout: Double = 5

    func validate() throws {
        guard duration > 0, duration <= 3_600 else { throw ValidationError("--duration must be in (0, 3600] seconds") }
        guard (0...10_000_000).contains(rate) else { throw ValidationError("--rate must be 0...10000000") }
        guard (1...1_000_000).contains(window) else { throw ValidationError("--window must be 1...1000000") }
        guard (Payload.minimumBytes...(4 << 20)).contains(messageBytes) else {
            throw ValidationError("--message-bytes must be \(Payload.minimumBytes)...\(4 << 20)")
        }
        guard (1...100_000_000).contains(maxMessages) else { throw ValidationError("--max-messages must be 1...100000000") }
        guard (0...60_000).contains(warmupMilliseconds) else { throw ValidationError("--warmup-ms must be 0...60000") }
        guard drainTimeout >= 0, drainTimeout <= 600 else { throw ValidationError("--drain-timeout must be 0...600 seconds") }
    }
}
