internal import ArgumentParser
internal import Gateway

/// The flags that choose a node's configuration, shared by `run` and `config check`.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file (default: $STAMPEDE_CONFIG; without either, built-in defaults).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Address the listeners bind to (listen.host).", valueName: "address"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("WebSocket port (listen.websocket-port).", valueName: "port"))
    var port: String?

    @Option(name: .customLong("stomp-port"), help: ArgumentHelp("Raw STOMP TCP port, or 'off' (listen.stomp-port).", valueName: "port"))
    var stompPort: String?

    @Option(name: .customLong("log-level"),
            help: ArgumentHelp("One of \(ConfigurationLoader.logLevels.joined(separator: "|")) (log.level).", valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("log-format"),
            help: ArgumentHelp("One of \(ConfigurationLoader.logFormats.joined(separator: "|")) (log.format).", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("max-connections"), help: ArgumentHelp("Client connections open at once (limits.max-connections).", valueName: "n"))
    var maxConnections: String?

    @Option(name: .customLong("redis"), help: ArgumentHelp("Join the cluster sharing this Redis, redis://host[:port] (cluster.redis-url).", valueName: "url"))
    var redis: String?

    @Option(name: .customLong("node-id"), help: ArgumentHelp("Unique node name in the cluster (cluster.node-id).", valueName: "id"))
    var nodeID: String?

    @Option(name: .customLong("admin-port"), help: ArgumentHelp("Admin endpoint port, or 'off' (admin.port).", valueName: "port"))
    var adminPort: String?

    @Option(name: .customLong("api-port"), help: ArgumentHelp("Server HTTP API port, or 'off' (api.port).", valueName: "port"))
    var apiPort: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Sets any key listed by `stampede config keys`; repeatable; applied after the options above, in order. Lists are comma-separated.",
        valueName: "key=value"))
    var settings: [String] = []

    func validate() throws {
        for setting in settings where !setting.contains("=") {
            throw ValidationError("--set expects KEY=VALUE, got '\(setting)'")
        }
    }

    /// The named options as keys, then every --set, in the order they take effect.
    func overrides() -> [(key: String, value: String)] {
        var overrides: [(key: String, value: String)] = []
        let named: [(String, String?)] = [
            ("listen.host", host), ("listen.websocket-port", port), ("listen.stomp-port", stompPort),
            ("log.level", logLevel), ("log.format", logFormat), ("limits.max-connections", maxConnections),
            ("cluster.redis-url", redis), ("cluster.node-id", nodeID), ("admin.port", adminPort), ("api.port", apiPort),
        ]
        for case let (key, value?) in named { overrides.append((key, value)) }
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else { continue }  // refused by validate()
            overrides.append((String(setting[..<equals]), String(setting[setting.index(after: equals)...])))
        }
        return overrides
    }

    /// The effective configuration: file < environment < flags.
    func load() throws(ConfigurationError) -> NodeConfiguration {
        let environment = Terminal.environment()
        let file = config ?? environment[ConfigurationLoader.configFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        return try ConfigurationLoader.load(file: file, environment: environment, overrides: overrides())
    }
}
