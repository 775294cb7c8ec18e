internal import ArgumentParser
internal import Dispatch
internal import Glibc
internal import StampedeClient
internal import STOMPClientSession

/// Options every client subcommand (`pub`, `sub`, `request`) takes: where and who.
struct ClientConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Node to connect to: ws://, wss://, stomp:// or stomp+ssl:// (default $STAMPEDE_URL, else ws://127.0.0.1:15674/ws).", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("CONNECT login (default $STAMPEDE_LOGIN).", valueName: "login"))
    var login: String?

    @Option(help: ArgumentHelp("CONNECT passcode (default $STAMPEDE_PASSCODE).", valueName: "passcode"))
    var passcode: String?

    @Option(help: ArgumentHelp("Bearer token, e.g. from `stampede token` (default $STAMPEDE_TOKEN): Authorization: Bearer at the WebSocket handshake and the CONNECT token header.", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Seconds to wait for the connection.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of the CA that signed the node's certificate, for wss:// and stomp+ssl:// (default $STAMPEDE_CA_FILE, else the system's trust store).", valueName: "path"))
    var caFile: String?

    func validate() throws {
        guard connectTimeout > 0, connectTimeout <= 3_600 else { throw ValidationError("--connect-timeout must be between 0 and 3600 seconds") }
    }

    /// A client for these options (flags first, then the environment).
    func makeClient() throws -> StampedeClient {
        let environment = Terminal.environment()
        let options = StampedeClient.Options(
            login: login ?? environment["STAMPEDE_LOGIN"],
            passcode: passcode ?? environment["STAMPEDE_PASSCODE"],
            token: token ?? environment["STAMPEDE_TOKEN"],
            reconnect: ReconnectPolicy(),
            connectTimeout: .milliseconds(Int(connectTimeout * 1_000)),
            trustedCAFile: caFile ?? environment["STAMPEDE_CA_FILE"]
        )
        return try StampedeClient(url: url ?? environment["STAMPEDE_URL"] ?? "ws://127.0.0.1:15674/ws", options: options)
    }
}

/// Exit statuses of the client subcommands (documented in docs/client.md).
enum ClientExit {
    /// Connection refused or lost for good, server ERROR, bad URL.
    static let failure = ExitCode(1)
    /// `request` got no answer in time; `sub --timeout` saw fewer than `--count` messages.
    static let timeout = ExitCode(124)
}

/// Runs async client work from a synchronous command: the node's commands stay synchronous
/// (libuv owns the main thread there), so only the client subcommands wait here.
enum AsyncCommand {
    private final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }

    static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await body() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw error }
    }

    /// Prints the failure as one line on standard error and turns it into exit status 1
    /// (124 for timeouts); ExitCode and argument errors pass through.
    static func report(_ error: any Error) -> any Error {
        if error is ExitCode { return error }
        if let error = error as? StampedeClientError {
            Terminal.printError(error.description)
            return error == .timeout ? ClientExit.timeout : ClientExit.failure
        }
        Terminal.printError("\(error)")
        return ClientExit.failure
    }

    /// On SIGINT/SIGTERM: run `stop` (DISCONNECT), then exit 0.
    static func onInterrupt(_ stop: @escaping @Sendable () async -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Task {
                    await stop()
                    exit(0)
                }
            }
            source.resume()
            interruptSources.append(source)
        }
    }

    nonisolated(unsafe) private static var interruptSources: [any DispatchSourceSignal] = []
}

/// Standard output, flushed per line so pipes see every message at once.
enum Output {
    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// A JSON string literal.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
