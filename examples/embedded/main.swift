// A Swift program with a Stampede node inside: `/app` destinations handled by closures, a
// background task publishing to a topic, presence read on demand. Stop with Ctrl-C.
//
//   swift run stampede-embedded-example [--port 15674] [--stomp-port 61613]
//
// Then from any STOMP client (login is your user name):
//   SEND /app/greet            -> "hello <you>: <body>" on your /user/queue/greetings, this session only
//   SEND /app/chat.<room>      -> "<you>: <body>" to /topic/chat.<room> (whose presence is published)
//   SEND /app/who              -> who is in /topic/chat.lobby, on your /user/queue/greetings
//   SUBSCRIBE /app/time        -> one MESSAGE with the node's clock on that subscription
//   SUBSCRIBE /topic/ticks     -> "tick <n>" every 200 ms, published from another thread
import Applications
import Foundation
import Gateway
import Logging
import StampedeEmbedded

LoggingSystem.bootstrap(StreamLogHandler.standardError)  // stdout is for this program's own lines
var configuration = NodeConfiguration()
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst(), let number = Int(value) else { break }
    if flag == "--port" { configuration.webSocketPort = number }
    if flag == "--stomp-port" { configuration.stompPort = number }
}
configuration.adminPort = nil
configuration.presenceDestinations = ["/topic/chat.*"]


let node = EmbeddedNode(configuration: configuration, logger: Logger(label: "embedded"))

node.onSend("/app/greet") { call, node in
    try? await node.reply(to: call, destination: "/queue/greetings", body: "hello \(call.sender.user): \(call.text)")
}
node.onSend("/app/chat.*") { call, node in
    let room = call.destination.dropFirst("/app/chat.".count)
    try? await node.publish("/topic/chat.\(room)", body: "\(call.sender.user): \(call.text)")
}
node.onSend("/app/who") { call, node in
    let users = (try? await node.presence(of: "/topic/chat.lobby")) ?? []
    try? await node.reply(to: call, destination: "/queue/greetings", body: "in the lobby: \(users.joined(separator: ","))")
}
node.onSubscribe("/app/time") { _ in
    EmbeddedMessage("now: \(Int(Date().timeIntervalSince1970))", headers: ["content-type": "text/plain"])
}

let ports = try await node.start()
FileHandle.standardOutput.write(Data("ready ws=\(ports.webSocket) stomp=\(ports.stomp ?? 0)\n".utf8))

let ticker = Task.detached {
    var count = 0
    while !Task.isCancelled {
        count += 1
        try? await node.publish("/topic/ticks", body: "tick \(count)")
        try? await Task.sleep(nanoseconds: 200_000_000)
    }
}

// SIGINT / SIGTERM end the program: taken by Dispatch (the node itself handles no signals here).
await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
    let once = DispatchQueue(label: "signals")
    var resumed = false
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: once)
        source.setEventHandler {
            if !resumed { resumed = true; done.resume() }
            _ = sources
        }
        source.resume()
        sources.append(source)
    }
}
ticker.cancel()
await node.stop()
FileHandle.standardOutput.write(Data("stopped\n".utf8))
