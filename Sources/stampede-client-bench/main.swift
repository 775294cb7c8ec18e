// stampede-client-bench: what one StampedeClient connection does against a running node, for
// docs/benchmarks.md (issue 14): publish rate, receive rate of one subscription, and memory per
// idle client connection. The node is the caller's (scripts/client-bench.sh starts one).
//
//   stampede-client-bench publish   --url stomp://127.0.0.1:61613 [--messages 500000] [--bytes 100]
//   stampede-client-bench subscribe --url stomp://127.0.0.1:61613 [--messages 500000] [--bytes 100]
//   stampede-client-bench idle      --url stomp://127.0.0.1:61613 [--connections 1000]
//   stampede-client-bench receive   --url stomp://127.0.0.1:61613 --topic /topic/t [--messages 500000]
//   stampede-client-bench states    --url stomp://127.0.0.1:61613 [--messages N]
//     (prints each connection state with the wall-clock time in ms until N reconnections; for timing
//      reconnects around a node restart driven from outside)
//     (only subscribes: another process publishes, e.g. stampede-bench fanout --topic /topic/t)
import Foundation
import StampedeClient
import STOMPClientSession
import STOMPWire

struct Arguments {
    var mode = ""
    var url = "stomp://127.0.0.1:61613"
    var messages = 500_000
    var bytes = 100
    var connections = 1_000
    var topic: String?

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        mode = rest.popFirst() ?? ""
        while let flag = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--url": url = value
            case "--messages": messages = Int(value) ?? messages
            case "--bytes": bytes = Int(value) ?? bytes
            case "--connections": connections = Int(value) ?? connections
            case "--topic": topic = value
            default: Self.usage()
            }
        }
        if !["publish", "subscribe", "receive", "states", "idle"].contains(mode) { Self.usage() }
    }

    static func usage() -> Never {
        print("usage: stampede-client-bench publish|subscribe|receive|states|idle --url URL [--messages N] [--bytes B] [--connections N] [--topic T]")
        exit(2)
    }
}

func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1_024
}

/// Counts `count` messages of `subscription`; the time from the first to the last.
func receive(_ count: Int, of subscription: StampedeSubscription) async throws -> (received: Int, seconds: Double) {
    var received = 0
    var start: ContinuousClock.Instant?
    for try await _ in subscription {
        if start == nil { start = .now }
        received += 1
        if received == count { break }
    }
    return (received, seconds(since: start ?? .now))
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let arguments = Arguments(CommandLine.arguments)
let body = [UInt8](repeating: UInt8(ascii: "x"), count: arguments.bytes)
let options = StampedeClient.Options(heartBeat: .init(canSend: 0, wantsReceive: 0), maxQueuedSends: 10_000)
let topic = arguments.topic ?? "/topic/client-bench.\(getpid())"

switch arguments.mode {
case "publish":
    // One connection sends as fast as it can; the last send awaits its RECEIPT, so every message
    // has reached the node when the clock stops.
    let client = try StampedeClient(url: arguments.url, options: options)
    try await client.connect()
    let start = ContinuousClock.now
    for number in 0..<arguments.messages {
        try await client.send(body, to: topic, receipt: number == arguments.messages - 1)
    }
    let elapsed = seconds(since: start)
    print(String(format: "publish: %d messages of %d bytes over one connection in %.2f s: %.0f messages/s",
                 arguments.messages, arguments.bytes, elapsed, Double(arguments.messages) / elapsed))
    await client.disconnect()
case "subscribe":
    // A second connection publishes; the clock runs from the first message received to the last.
    let subscriber = try StampedeClient(url: arguments.url, options: options)
    try await subscriber.connect()
    let messages = try await subscriber.subscribe(topic)
    let publisher = try StampedeClient(url: arguments.url, options: options)
    try await publisher.connect()
    let sending = Task {
        for _ in 0..<arguments.messages { try await publisher.send(body, to: topic) }
    }
    let (received, elapsed) = try await receive(arguments.messages, of: messages)
    print(String(format: "subscribe: %d messages of %d bytes received by one subscription in %.2f s: %.0f messages/s",
                 received, arguments.bytes, elapsed, Double(max(received - 1, 1)) / elapsed))
    _ = try await sending.value
    await publisher.disconnect()
    await subscriber.disconnect()
case "receive":
    // Another process publishes (its own pace and batching); the clock runs from the first
    // message received to the last.
    let subscriber = try StampedeClient(url: arguments.url, options: options)
    try await subscriber.connect()
    let messages = try await subscriber.subscribe(topic)
    FileHandle.standardError.write(Data("subscribed to \(topic)\n".utf8))
    let (received, elapsed) = try await receive(arguments.messages, of: messages)
    print(String(format: "receive: %d messages received by one subscription in %.2f s: %.0f messages/s",
                 received, elapsed, Double(max(received - 1, 1)) / elapsed))
    await subscriber.disconnect()
case "states":
    var fast = options
    fast.reconnect = ReconnectPolicy(initialDelayMilliseconds: 100, multiplier: 1, maxDelayMilliseconds: 100, jitter: 0)
    let client = try StampedeClient(url: arguments.url, options: fast)
    try await client.connect()
    var connections = 0
    for await state in await client.stateUpdates() {
        print("\(Int(Date().timeIntervalSince1970 * 1_000)) \(state)")
        if case .connected = state { connections += 1 }
        if connections > arguments.messages { break }
    }
    await client.disconnect()
default:
    let before = residentBytes()
    var clients: [StampedeClient] = []
    for _ in 0..<arguments.connections {
        let client = try StampedeClient(url: arguments.url, options: options)
        try await client.connect()
        clients.append(client)
    }
    try await Task.sleep(for: .seconds(1))
    let per = (residentBytes() - before) / max(arguments.connections, 1)
    print("idle: \(arguments.connections) connected clients, \(per) bytes of client process RSS each")
    for client in clients { await client.disconnect() }
}
