import STOMPWire
import UVLoop

/// What a scenario hears from its pool of clients.
protocol ClientPoolDelegate: AnyObject {
    /// CONNECTED arrived on `client`.
    func clientReady(_ client: BenchConnection)
    /// A frame after CONNECTED; `now` is when its read was handled.
    func client(_ client: BenchConnection, received frame: STOMPFrame, now: UInt64)
    /// A MESSAGE body (clients with `messageBodiesOnly`), valid during the call only.
    func client(_ client: BenchConnection, receivedMessageBody body: UnsafeRawBufferPointer, now: UInt64)
    /// A read's frames were all handled.
    func clientDidProcessInput(_ client: BenchConnection)
    /// A client failed during setup or closed after it was ready.
    func clientLost(_ client: BenchConnection, wasReady: Bool)
}

/// Owns a run's connections: opens them at most `concurrency` at a time (so the node's accept
/// backlog never overflows and handshakes do not time out), spreads them over source addresses,
/// counts failures and drops, and forwards the rest to the scenario.
final class ClientPool: BenchConnectionHandler {
    private let loop: EventLoop
    private let sources: SourceAddressPlan
    private let concurrency: Int
    /// Unowned: the scenario owns its pool and outlives it; a weak reference cost an atomic
    /// load per message received (issue 13).
    unowned(unsafe) var delegate: (any ClientPoolDelegate)?

    /// Every connection created, in creation order (`BenchConnection.index` is the position).
    private(set) var connections: [BenchConnection] = []
    private var nextToStart = 0
    private var starting = 0
    /// Connections that reached CONNECTED.
    private(set) var readyCount = 0
    /// Connections that never reached CONNECTED.
    private(set) var failedCount = 0
    /// Connections that closed after CONNECTED without us asking.
    private(set) var droppedCount = 0
    /// Connections not yet closed.
    private(set) var openCount = 0
    private var closing = false
    private var reportedFailures = 0

    init(loop: EventLoop, sources: SourceAddressPlan, concurrency: Int) {
        self.loop = loop
        self.sources = sources
        self.concurrency = max(1, concurrency)
    }

    /// Creates `count` connections with `settings` and starts opening them; returns their indices.
    @discardableResult
    func add(count: Int, settings: ClientSettings) -> Range<Int> {
        let first = connections.count
        for index in first..<(first + count) {
            connections.append(BenchConnection(index: index, settings: settings, handler: self))
        }
        openCount += count
        startMore()
        return first..<(first + count)
    }

    /// Closes every connection (gracefully unless `immediately`); nothing new is started.
    func closeAll(immediately: Bool = false) {
        closing = true
        for connection in connections where connection.phase != .closed {
            connection.close(immediately: immediately)
        }
        // Those never started are simply forgotten.
        let neverStarted = connections.count - nextToStart
        openCount -= neverStarted
        nextToStart = connections.count
    }

    private func startMore() {
        while !closing, starting < concurrency, nextToStart < connections.count {
            let connection = connections[nextToStart]
            nextToStart += 1
            starting += 1
            connection.start(loop: loop, source: sources.source(forConnection: connection.index))
        }
    }

    // MARK: - BenchConnectionHandler

    func connectionReady(_ connection: BenchConnection) {
        readyCount += 1
        starting -= 1
        startMore()
        delegate?.clientReady(connection)
    }

    func connection(_ connection: BenchConnection, received frame: STOMPFrame, now: UInt64) {
        delegate?.client(connection, received: frame, now: now)
    }

    func connection(_ connection: BenchConnection, receivedMessageBody body: UnsafeRawBufferPointer, now: UInt64) {
        delegate?.client(connection, receivedMessageBody: body, now: now)
    }

    func connectionDidProcessInput(_ connection: BenchConnection) {
        delegate?.clientDidProcessInput(connection)
    }

    func connectionClosed(_ connection: BenchConnection, wasReady: Bool, reason: String?) {
        openCount -= 1
        if wasReady {
            if !closing { droppedCount += 1 }
        } else {
            starting -= 1
            failedCount += 1
            startMore()
        }
        if let reason, !closing || !wasReady {
            report(connection, reason)
        }
        if !closing { delegate?.clientLost(connection, wasReady: wasReady) }
    }

    /// The first few failures go to stderr; the rest only count.
    private func report(_ connection: BenchConnection, _ reason: String) {
        reportedFailures += 1
        if reportedFailures <= 5 {
            printError("connection \(connection.index): \(reason)")
        } else if reportedFailures == 6 {
            printError("(further connection failures are only counted)")
        }
    }
}
