import ClusterBus
import Foundation
import Gateway
import Logging
import UVLoop
import XCTest

/// Several nodes on one loop in a background thread, joined by an in-memory hub or by Redis:
/// the same routing test body runs against both. Tests talk to the nodes over real sockets.
final class InProcessCluster: @unchecked Sendable {
    enum BusKind { case inMemory, redis(port: Int) }

    private let lock = NSLock()
    private var ports: [(webSocket: Int, stomp: Int)] = []
    private var stopRequested = false
    private var finished = false
    private var failure: String?
    private var thread: Thread?
    private var killRequests: [Int] = []

    init(nodes count: Int, bus: BusKind, configure: @escaping @Sendable (inout NodeConfiguration) -> Void = { _ in }) throws {
        let thread = Thread { [unowned self] in self.runLoop(count: count, bus: bus, configure: configure) }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let (ready, failed) = lock.withLock { (ports.count == count, failure) }
            if let failed { throw TestClientError(description: failed) }
            if ready { return }
            usleep(10_000)
        }
        throw TestClientError(description: "in-process cluster did not start")
    }

    deinit { stop() }

    func stompPort(_ node: Int) -> Int { lock.withLock { ports[node].stomp } }
    func webSocketPort(_ node: Int) -> Int { lock.withLock { ports[node].webSocket } }

    func client(_ node: Int, webSocket: Bool = false) throws -> TestClient {
        webSocket
            ? try TestClient(port: webSocketPort(node), transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: nil))
            : try TestClient(port: stompPort(node))
    }

    func connected(_ node: Int, login: String? = nil, webSocket: Bool = false) throws -> TestClient {
        let c = try client(node, webSocket: webSocket)
        var headers = [("accept-version", "1.2"), ("host", "/")]
        if let login { headers += [("login", login), ("passcode", "x")] }
        try c.connect(headers)
        return c
    }

    /// Stops the nodes (SIGTERM-like shutdown) and waits for the loop to close cleanly.
    func stop() {
        lock.withLock { stopRequested = true }
        let deadline = Date().addingTimeInterval(15)
        while !lock.withLock({ finished }) && Date() < deadline { usleep(10_000) }
    }

    var loopClosedCleanly: Bool { lock.withLock { finished && failure == nil } }

    private func runLoop(count: Int, bus kind: BusKind, configure: @escaping (inout NodeConfiguration) -> Void) {
        do {
            let loop = try EventLoop()
            let hub = InMemoryClusterHub()
            var nodes: [Node] = []
            for index in 0..<count {
                var configuration = NodeConfiguration()
                configuration.webSocketPort = 0
                configuration.stompPort = 0
                configuration.adminPort = nil
                configuration.apiPort = nil
                configuration.nodeID = "node\(index + 1)"
                configuration.tickMilliseconds = 50
                configuration.interestGraceMilliseconds = 100
                if case .redis(let port) = kind { configuration.redisURL = "redis://127.0.0.1:\(port)" }
                configure(&configuration)
                var logger = Logger(label: "node\(index + 1)")
                logger.logLevel = .warning
                let bus: (any ClusterBus)? = if case .inMemory = kind { hub.makeBus(nodeID: "node\(index + 1)") } else { nil }
                let node = try Node(configuration: configuration, logger: logger, loop: loop, bus: bus)
                try node.start(handleSignals: false)
                nodes.append(node)
            }
            lock.withLock { ports = nodes.map { ($0.webSocketPort!, $0.stompPort!) } }
            let watcher = UVLoop.Timer(loop: loop)
            watcher.start(afterMilliseconds: 10, repeatMilliseconds: 10) { [unowned self] in
                guard self.lock.withLock({ self.stopRequested }) else { return }
                watcher.close()
                for node in nodes { node.shutdown() }
            }
            loop.run()
            try loop.close()
        } catch {
            lock.withLock { failure = "\(error)" }
        }
        lock.withLock { finished = true }
    }
}
