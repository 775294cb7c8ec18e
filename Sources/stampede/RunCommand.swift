internal import ArgumentParser
internal import Gateway
internal import Logging
internal import LogOutput

/// `stampede run`: loads the configuration and runs a node on this thread until it shuts down.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a node (the same as `stampede` with no subcommand).",
        discussion: "SIGINT or SIGTERM shuts the node down gracefully."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() throws { try Self.runNode(options) }

    static func runNode(_ options: ConfigurationOptions) throws {
        let configuration: NodeConfiguration
        do {
            configuration = try options.load()
        } catch {
            Terminal.printError(error.description)
            throw ExitCode.failure
        }
        // The names were validated by the loader, so the fallback is never taken.
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        if configuration.logFormat == "json" {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let logger = Logger(label: "stampede")
        let node: Node
        do {
            node = try Node(configuration: configuration, logger: logger)
            try node.start()
        } catch {
            let ports = "listen.websocket-port \(configuration.webSocketPort), listen.stomp-port \(configuration.stompPort.map(String.init) ?? "off")"
            Terminal.printError("cannot start: \(error) (listen.host \(configuration.host), \(ports))")
            throw ExitCode.failure
        }
        // The libuv loop blocks this (the main) thread until the node has shut down.
        do {
            try node.run()
        } catch {
            Terminal.printError("stopped with an error: \(error)")
            throw ExitCode.failure
        }
    }
}
