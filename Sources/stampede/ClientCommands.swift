internal import ArgumentParser
internal import Glibc
internal import STOMPWire
internal import StampedeClient
internal import STOMPClientSession

/// `stampede pub`: publish a body (or each line of standard input) to a destination.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pub",
        abstract: "Publish messages to a destination.",
        discussion: """
            Sends BODY --count times, or the contents of --file once, or (BODY '-' or none) every
            line of standard input as one message. The last message asks for a RECEIPT, so when
            the command exits 0 the node has everything. Exit status: 0 sent, 1 connection failure
            or server ERROR (its message on standard error), 64 usage.
            """
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Argument(help: "Destination, e.g. /topic/news or /queue/jobs.")
    var destination: String

    @Argument(help: "Message body; '-' or none reads lines from standard input.")
    var body: String?

    @Option(help: ArgumentHelp("Send this file's bytes as one message.", valueName: "path"))
    var file: String?

    @Option(name: .customLong("header"), help: ArgumentHelp("Extra header (repeatable).", valueName: "name:value"))
    var headers: [String] = []

    @Option(help: "Send the body this many times.")
    var count = 1

    @Option(help: ArgumentHelp("Messages per second (0: as fast as possible).", valueName: "rate"))
    var rate: Double = 0

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        guard file == nil || body == nil else { throw ValidationError("give BODY or --file, not both") }
        _ = try parsedHeaders()
    }

    func parsedHeaders() throws -> [String: String] {
        var parsed: [String: String] = [:]
        for header in headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("--header must be name:value, got '\(header)'")
            }
            parsed[String(header[..<colon])] = String(header[header.index(after: colon)...])
        }
        return parsed
    }

    func run() throws {
        let headers = try parsedHeaders()
        let client = try connection.makeClient()
        let bodies = try messages()
        let (destination, count, rate) = (destination, count, rate)
        do {
            try AsyncCommand.run {
                try await client.connect()
                let interval = rate > 0 ? Duration.nanoseconds(Int64(1_000_000_000 / rate)) : nil
                let start = ContinuousClock.now
                var sent = 0
                let send: @Sendable ([UInt8], Bool) async throws -> Void = { body, last in
                    try await client.send(body, to: destination, headers: headers, receipt: last)
                }
                switch bodies {
                case .fixed(let body):
                    for index in 0..<count {
                        if let interval { try await Task.sleep(until: start + interval * sent, clock: .continuous) }
                        try await send(body, index == count - 1)
                        sent += 1
                    }
                case .standardInput:
                    var previous: [UInt8]?
                    while let line = readLine(strippingNewline: true) {
                        if let body = previous {
                            if let interval { try await Task.sleep(until: start + interval * sent, clock: .continuous) }
                            try await send(body, false)
                            sent += 1
                        }
                        previous = Array(line.utf8)
                    }
                    if let body = previous { try await send(body, true) }
                }
                await client.disconnect()
            }
        } catch {
            throw AsyncCommand.report(error)
        }
    }

    private enum Bodies: Sendable {
        case fixed([UInt8])
        case standardInput
    }

    private func messages() throws -> Bodies {
        if let file {
            guard let handle = fopen(file, "rb") else {
                Terminal.printError("cannot read \(file)")
                throw ClientExit.failure
            }
            defer { fclose(handle) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let read = fread(&chunk, 1, chunk.count, handle)
                if read <= 0 { break }
                bytes += chunk[0..<read]
            }
            return .fixed(bytes)
        }
        guard let body, body != "-" else { return .standardInput }
        return .fixed(Array(body.utf8))
    }
}

/// How `sub` and `request` print a message.
struct MessagePrinting: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print the headers before each body.")
    var verbose = false

    @Flag(help: "Print one JSON object per message: {\"destination\",\"headers\",\"body\"}.")
    var json = false

    func print(_ message: StampedeMessage) {
        if json {
            let headers = message.headers.map { "\(Output.json($0.name)):\(Output.json($0.value))" }.joined(separator: ",")
            Output.line("{\"destination\":\(Output.json(message.destination)),\"headers\":{\(headers)},\"body\":\(Output.json(message.bodyText))}")
        } else if verbose {
            Output.line(message.headers.map { "\($0.name):\($0.value)" }.joined(separator: "\n") + "\n\n" + message.bodyText + "\n")
        } else {
            Output.line(message.bodyText)
        }
    }
}

/// `stampede sub`: print the messages of a destination.
struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sub",
        abstract: "Subscribe to a destination and print its messages.",
        discussion: """
            One line per message (the body), the headers too with -v, JSON lines with --json.
            Reconnects and resubscribes when the node restarts. Ctrl-C disconnects and exits 0.
            Exit status: 0 done (--count reached or interrupted), 1 connection failure or
            server ERROR, 124 --timeout passed before --count messages, 64 usage.
            """
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Argument(help: "Destination, e.g. /topic/news, /topic/news.* or /queue/jobs.")
    var destination: String

    @Option(help: "Exit after this many messages.")
    var count: Int?

    @Option(help: ArgumentHelp("auto, client or client-individual: with client modes every printed message is ACKed.", valueName: "mode"))
    var ack = "auto"

    @Option(help: ArgumentHelp("Give up (exit 124) after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @OptionGroup var printing: MessagePrinting

    func validate() throws {
        guard AckMode(rawValue: ack) != nil else { throw ValidationError("--ack must be auto, client or client-individual") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let client = try connection.makeClient()
        let (destination, count, ackMode, timeout, printing) = (destination, count, AckMode(rawValue: ack) ?? .auto, timeout, printing)
        AsyncCommand.onInterrupt { await client.disconnect() }
        do {
            try AsyncCommand.run {
                try await client.connect()
                let subscription = try await client.subscribe(destination, ack: ackMode)
                Terminal.printError("subscribed to \(destination)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var received = 0
                        for try await message in subscription {
                            printing.print(message)
                            if ackMode != .auto { try await client.ack(message) }
                            received += 1
                            if let count, received >= count { return }
                        }
                    }
                    if let timeout {
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(Int(timeout * 1_000)))
                            throw StampedeClientError.timeout
                        }
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
                await client.disconnect()
            }
        } catch {
            throw AsyncCommand.report(error)
        }
    }
}

/// `stampede request`: one request/reply round trip to an `/app` destination.
struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send a request to an /app destination and print the reply.",
        discussion: """
            Sends BODY with correlation-id and reply-to headers and waits for the MESSAGE on
            /user/queue/replies carrying the same correlation-id (a service answers it with
            reply-to-session, see docs/client.md). Needs a login: replies go to a user.
            Exit status: 0 answered, 1 connection failure or server ERROR, 124 no reply within
            --timeout, 64 usage.
            """
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Argument(help: "Destination, e.g. /app/echo.")
    var destination: String

    @Argument(help: "Request body.")
    var body: String

    @Option(help: ArgumentHelp("Seconds to wait for the reply.", valueName: "seconds"))
    var timeout: Double = 10

    @OptionGroup var printing: MessagePrinting

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let client = try connection.makeClient()
        let (destination, body, timeout, printing) = (destination, body, timeout, printing)
        do {
            try AsyncCommand.run {
                try await client.connect()
                let reply = try await client.request(body, to: destination, timeout: .milliseconds(Int(timeout * 1_000)))
                printing.print(reply)
                await client.disconnect()
            }
        } catch {
            throw AsyncCommand.report(error)
        }
    }
}
