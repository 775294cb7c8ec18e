import ArgumentParser
import Glibc

/// `stampede-bench`: a load generator for a Stampede node (or any STOMP broker) on this machine.
@main
struct StampedeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stampede-bench",
        abstract: "Load generator for STOMP brokers on loopback: fan-out, queue and idle-connection scenarios.",
        discussion: """
            Progress goes to stderr once a second; the report goes to stdout (a table, or JSON with --json). \
            SIGINT/SIGTERM stop the run early and still print the report. Only loopback targets are accepted.
            """,
        subcommands: [Fanout.self, Queue.self, App.self, Idle.self]
    )
}

/// Prints the report in the requested form.
private func emit(_ report: Report, json: Bool) {
    writeAll(STDOUT_FILENO, json ? report.json() : report.table())
}

extension StampedeBench {
    struct Fanout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "S subscribers on one topic, one publisher: deliveries/s, end-to-end latency, loss.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var messages: MessageOptions

        @Option(help: "Subscribers on the topic.")
        var subscribers = 1_000

        @Option(help: "Topic (default /topic/bench.fanout.<pid>).")
        var topic: String?

        @Option(name: .customLong("publish-port"), help: "Port of the node the publisher uses (default --port): a cluster run puts it on another node.")
        var publishPort: Int?

        func validate() throws {
            guard (1...200_000).contains(subscribers) else { throw ValidationError("--subscribers must be 1...200000") }
            if let publishPort, !(1...65_535).contains(publishPort) { throw ValidationError("--publish-port must be 1...65535") }
            try connection.checkSocketBudget(subscribers + 1)
        }

        func run() throws {
            // JSON receivers join a room: the topic must be under the node's json.room-prefix.
            let defaultTopic = connection.transport == .json ? "\(JSONBenchMessages.roomPrefix)bench-\(getpid())" : "/topic/bench.fanout.\(getpid())"
            let plan = MessagingPlan(
                scenario: "fanout", destination: topic ?? defaultTopic,
                receivers: subscribers, senders: 1, everyReceiverGetsEveryMessage: true,
                receiverSettings: connection.clientSettings(),
                senderSettings: connection.clientSettings(port: publishPort).publishing(on: connection.webSocketPath),
                messages: messages)
            emit(try MessagingRun(plan: plan, connection: connection).run(), json: connection.json)
        }
    }

    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "P producers and C competing consumers on one queue: messages/s, latency, loss.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var messages: MessageOptions

        @Option(help: "Producers sending to the queue.")
        var producers = 4

        @Option(help: "Consumers subscribed to the queue (ack:auto).")
        var consumers = 4

        @Option(help: "Queue (default /queue/bench.<pid>).")
        var queue: String?

        @Option(name: .customLong("publish-port"), help: "Port of the node the producers use (default --port).")
        var publishPort: Int?

        func validate() throws {
            if connection.transport == .json { throw ValidationError("--transport json: JSON clients join rooms (fanout, idle); they do not consume queues") }
            guard (1...1_000).contains(producers) else { throw ValidationError("--producers must be 1...1000") }
            guard (1...100_000).contains(consumers) else { throw ValidationError("--consumers must be 1...100000") }
            if let publishPort, !(1...65_535).contains(publishPort) { throw ValidationError("--publish-port must be 1...65535") }
            try connection.checkSocketBudget(producers + consumers)
        }

        func run() throws {
            let plan = MessagingPlan(
                scenario: "queue", destination: queue ?? "/queue/bench.\(getpid())",
                receivers: consumers, senders: producers, everyReceiverGetsEveryMessage: false,
                receiverSettings: connection.clientSettings(), senderSettings: connection.clientSettings(port: publishPort),
                messages: messages)
            emit(try MessagingRun(plan: plan, connection: connection).run(), json: connection.json)
        }
    }

    struct App: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "/app round trips: C clients SEND to an application destination, S STOMP services answer each to the sending session only.",
            discussion: """
                The node must give --service-login the service role (e.g. --set applications.service-users=svc). \
                Latency is client SEND → node → service → reply → client.
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var messages: MessageOptions

        @Option(help: "Clients sending calls (each waits for its answers within --window).")
        var clients = 4

        @Option(help: "STOMP services answering (competing consumers of --route).")
        var services = 2

        @Option(name: .customLong("service-login"), help: "Login of the services (must have the service role).")
        var serviceLogin = "svc"

        @Option(help: "Application destination the clients SEND to.")
        var destination = "/app/bench.echo"

        @Option(help: "Route pattern the services subscribe to (exactly as configured).")
        var route = "/app/**"

        @Option(name: .customLong("service-port"), help: "Port of the node the services use (default --port): a cluster run puts them on another node.")
        var servicePort: Int?

        func validate() throws {
            if connection.transport == .json { throw ValidationError("--transport json: the app round trip is STOMP only") }
            guard (1...1_000).contains(clients) else { throw ValidationError("--clients must be 1...1000") }
            guard (1...1_000).contains(services) else { throw ValidationError("--services must be 1...1000") }
            if let servicePort, !(1...65_535).contains(servicePort) { throw ValidationError("--service-port must be 1...65535") }
            try connection.checkSocketBudget(clients + services)
        }

        func run() throws {
            var serviceSettings = connection.clientSettings(port: servicePort)
            serviceSettings.login = serviceLogin
            var clientSettings = connection.clientSettings()
            if clientSettings.login == nil { clientSettings.login = "bench-client" }
            let plan = MessagingPlan(
                scenario: "app", destination: destination,
                receivers: services, senders: clients, everyReceiverGetsEveryMessage: false,
                receiverSettings: serviceSettings, senderSettings: clientSettings,
                messages: messages, applicationRoundTrip: ApplicationRoundTrip(serviceRoute: route))
            emit(try MessagingRun(plan: plan, connection: connection).run(), json: connection.json)
        }
    }

    struct Idle: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "N idle connections, each CONNECTed and subscribed: the node's RSS per connection (needs --node-pid).")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Connections to open (one process holds at most about ulimit -n minus 32).")
        var connections = 1_000

        @Option(help: "Topic every connection subscribes to (default /topic/bench.idle; /topic/room.bench-idle with --transport json).")
        var topic: String?

        @Flag(name: .customLong("distinct-topics"), help: "Subscribe connection i to <topic>.<i> instead of one shared topic.")
        var distinctTopics = false

        @Option(help: "Seconds to wait after the last SUBSCRIBE receipt before reading RSS.")
        var settle: Double = 2

        @Option(help: "Seconds to keep the connections open after measuring (to stack several bench processes).")
        var hold: Double = 0

        func validate() throws {
            guard (1...1_000_000).contains(connections) else { throw ValidationError("--connections must be 1...1000000") }
            guard settle >= 0, settle <= 600 else { throw ValidationError("--settle must be 0...600 seconds") }
            guard hold >= 0, hold <= 3_600 else { throw ValidationError("--hold must be 0...3600 seconds") }
            try connection.checkSocketBudget(connections)
        }

        func run() throws {
            let plan = IdlePlan(
                connections: connections,
                topic: topic ?? (connection.transport == .json ? JSONBenchMessages.roomPrefix + "bench-idle" : "/topic/bench.idle"),
                distinctTopics: distinctTopics,
                settleSeconds: settle, holdSeconds: hold, settings: connection.clientSettings())
            emit(try IdleRun(plan: plan, connection: connection).run(), json: connection.json)
        }
    }
}
