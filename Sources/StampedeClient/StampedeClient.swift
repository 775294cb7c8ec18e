public import STOMPClientSession
internal import STOMPWire
internal import NIOConcurrencyHelpers

/// An async/await STOMP client for Stampede (and any STOMP 1.1/1.2 broker) over WebSocket or TCP,
/// with automatic reconnect.
///
/// The protocol decisions are `ClientSession`'s (pure); this actor only carries its actions out:
/// it opens transports, writes, runs the heart-beat and reconnect timers and resumes the callers
/// waiting for CONNECTED, receipts and answers.
public actor StampedeClient {
    public nonisolated let endpoint: StampedeEndpoint
    public nonisolated let options: Options

    var session: ClientSession
    private var transport: (any ClientTransport)?
    /// Increases with every transport opened; events of an older transport are ignored.
    private var generation = 0
    private var counter = 0
    private let started = ContinuousClock.now

    private var connectWaiters: [CheckedContinuation<Void, any Error>] = []
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var receiptWaiters: [String: CheckedContinuation<Void, any Error>] = [:]
    var requestWaiters: [String: CheckedContinuation<StampedeMessage, any Error>] = [:]
    private var streams: [String: AsyncThrowingStream<[StampedeMessage], any Error>.Continuation] = [:]
    /// Messages for one subscription collected while a batch of actions is applied, handed over
    /// as one batch (see `StampedeSubscription.batches`).
    private var pendingBatch: (subscription: String, messages: [StampedeMessage])?
    private var stateListeners: [Int: AsyncStream<ClientConnectionState>.Continuation] = [:]
    var replySubscriptionID: String?
    private var tickTask: Task<Void, Never>?
    private var reconnectTask: Task<Void, Never>?
    /// Sends without a receipt, made while connected, wait here outside the actor and reach the
    /// session in bursts: one actor hop per burst instead of one per send (issue 14: the hop,
    /// a thread wake-up each way, was most of a send's cost). Every other operation drains it
    /// first, so the order of one caller's frames is kept.
    nonisolated let outbox = NIOLockedValueBox(Outbox())

    /// A client for `url` (`ws://host:port/ws`, `wss://…`, `stomp://host:port`, `stomp+ssl://…`);
    /// nothing happens until `connect()`.
    public init(url: String, options: Options = Options()) throws(StampedeClientError) {
        endpoint = try StampedeEndpoint(parsing: url)
        self.options = options
        var session = ClientSession(configuration: options.sessionConfiguration)
        session.connectTimeoutMilliseconds = UInt64(options.connectTimeout.components.seconds * 1_000 + options.connectTimeout.components.attoseconds / 1_000_000_000_000_000)
        self.session = session
    }

    /// The current connection state.
    public var state: ClientConnectionState { session.state }

    /// Every state change from now on (starting with the current state); ends when the client closes.
    public func stateUpdates() -> AsyncStream<ClientConnectionState> {
        let (stream, continuation) = AsyncStream<ClientConnectionState>.makeStream()
        continuation.yield(session.state)
        if case .closed = session.state {
            continuation.finish()
            return stream
        }
        counter += 1
        let key = counter
        stateListeners[key] = continuation
        continuation.onTermination = { _ in Task { await self.removeListener(key) } }
        return stream
    }

    /// Connects (CONNECT, CONNECTED) and returns once connected; throws the server's ERROR (bad
    /// credentials), or the transport failure unless `retryFirstConnect`.
    public func connect() async throws(StampedeClientError) {
        switch session.state {
        case .connected: return
        case .closed(let reason): throw reason ?? .closed
        case .idle:
            apply(session.start(now: now))
            startTicking()
        default: break
        }
        do {
            try await withCheckedThrowingContinuation { connectWaiters.append($0) }
        } catch {
            throw error as? StampedeClientError ?? .transport("\(error)")
        }
    }

    /// DISCONNECT with a receipt (everything sent before is processed), then close. Subscriptions end.
    public func disconnect() async {
        drainOutbox()
        if case .closed = session.state { return }
        apply(session.disconnect(now: now))
        if case .closed = session.state { return }
        let generationAtDisconnect = generation
        Task {
            // A server that never answers the DISCONNECT must not hold us forever.
            try? await Task.sleep(for: .seconds(5))
            self.forceClose(generationAtDisconnect)
        }
        await withCheckedContinuation { closeWaiters.append($0) }
    }

    // MARK: Subscriptions

    /// SUBSCRIBE; when connected, returns once the server confirmed it (RECEIPT), so messages
    /// published afterwards arrive. While disconnected it is sent at the next CONNECTED.
    public func subscribe(_ destination: String, ack: AckMode = .auto, headers: [String: String] = [:]) async throws(StampedeClientError) -> StampedeSubscription {
        counter += 1
        let id = "sub-\(counter)"
        let (stream, continuation) = AsyncThrowingStream<[StampedeMessage], any Error>.makeStream()
        streams[id] = continuation
        continuation.onTermination = { _ in Task { await self.streamEnded(id) } }
        let subscription = ClientSubscription(id: id, destination: destination, ack: ack, headers: headers.sorted { $0.key < $1.key }.map { STOMPHeader(name: $0.key, value: $0.value) })
        let receipt = session.isConnected ? nextReceipt() : nil
        do {
            try await perform(receipt: receipt) { session, now in try session.subscribe(subscription, receipt: receipt, now: now) }
        } catch {
            streams.removeValue(forKey: id)?.finish(throwing: error)
            throw error
        }
        return StampedeSubscription(id: id, destination: destination, ack: ack, batches: stream)
    }

    /// UNSUBSCRIBE (awaiting its receipt when connected); the subscription's sequence ends.
    public func unsubscribe(_ subscription: StampedeSubscription) async throws(StampedeClientError) {
        streams.removeValue(forKey: subscription.id)?.finish()
        guard session.subscriptions.contains(where: { $0.id == subscription.id }) else { return }
        let receipt = session.isConnected ? nextReceipt() : nil
        try await perform(receipt: receipt) { session, now in try session.unsubscribe(id: subscription.id, receipt: receipt, now: now) }
    }

    // MARK: Acknowledgements

    /// ACK a message of a `client` or `client-individual` subscription (awaiting the receipt).
    public func ack(_ message: StampedeMessage, transaction: StampedeTransaction? = nil) async throws(StampedeClientError) {
        try await acknowledge(message, positive: true, transaction: transaction)
    }

    /// NACK: the server redelivers (queues) or drops it.
    public func nack(_ message: StampedeMessage, transaction: StampedeTransaction? = nil) async throws(StampedeClientError) {
        try await acknowledge(message, positive: false, transaction: transaction)
    }

    private func acknowledge(_ message: StampedeMessage, positive: Bool, transaction: StampedeTransaction?) async throws(StampedeClientError) {
        let receipt = nextReceipt()
        try await perform(receipt: receipt) { session, now in
            try session.acknowledge(message.frame, epoch: message.epoch, positive: positive, transaction: transaction?.id, receipt: receipt, now: now)
        }
    }

    // MARK: Transactions

    /// BEGIN (awaiting its receipt). Transactions need a live connection: a reconnect aborts them.
    public func begin() async throws(StampedeClientError) -> StampedeTransaction {
        counter += 1
        let transaction = StampedeTransaction(id: "tx-\(counter)")
        let receipt = nextReceipt()
        try await perform(receipt: receipt) { session, now in try session.begin(transaction: transaction.id, receipt: receipt, now: now) }
        return transaction
    }

    /// COMMIT: the transaction's sends and acks take effect (awaiting the receipt).
    public func commit(_ transaction: StampedeTransaction) async throws(StampedeClientError) {
        let receipt = nextReceipt()
        try await perform(receipt: receipt) { session, now in try session.end(transaction: transaction.id, commit: true, receipt: receipt, now: now) }
    }

    /// ABORT: the transaction's sends and acks are dropped.
    public func abort(_ transaction: StampedeTransaction) async throws(StampedeClientError) {
        let receipt = nextReceipt()
        try await perform(receipt: receipt) { session, now in try session.end(transaction: transaction.id, commit: false, receipt: receipt, now: now) }
    }

    // MARK: Driving the session

    var now: UInt64 {
        let elapsed = ContinuousClock.now - started
        return UInt64(elapsed.components.seconds) * 1_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    func nextReceipt() -> String {
        counter += 1
        return "r-\(counter)"
    }

    /// Runs one session operation, applies its actions and, with a receipt, waits for it.
    func perform(receipt: String?, _ operation: (inout ClientSession, UInt64) throws -> [ClientAction]) async throws(StampedeClientError) {
        drainOutbox()
        let actions: [ClientAction]
        do {
            actions = try operation(&session, now)
        } catch {
            throw error as? StampedeClientError ?? .transport("\(error)")
        }
        guard let receipt, actions.contains(where: { if case .write = $0 { true } else { false } }) || session.queuedSends.contains(where: { $0.receipt == receipt }) else {
            apply(actions)
            return
        }
        do {
            try await withCheckedThrowingContinuation { continuation in
                receiptWaiters[receipt] = continuation
                apply(actions)
            }
        } catch {
            throw error as? StampedeClientError ?? .transport("\(error)")
        }
    }

    func apply(_ actions: [ClientAction]) {
        defer { flushPendingBatch() }
        for action in actions {
            if case .deliver(let subscription, let frame) = action {
                deliver(StampedeMessage(frame: frame, epoch: session.connectionEpoch), to: subscription)
                continue
            }
            // Whatever else happens (an ERROR, the connection closing) comes after the
            // messages that arrived before it.
            flushPendingBatch()
            switch action {
            case .openTransport:
                openTransport()
            case .write(let bytes):
                transport?.write(bytes)
            case .closeTransport:
                closeTransport()
            case .scheduleReconnect(let milliseconds):
                reconnectTask?.cancel()
                reconnectTask = Task {
                    try? await Task.sleep(for: .milliseconds(milliseconds))
                    guard !Task.isCancelled else { return }
                    self.reconnectDelayElapsed()
                }
            case .deliver:
                break  // handled above
            case .receipt(let id):
                receiptWaiters.removeValue(forKey: id)?.resume()
            case .receiptsFailed(let ids, let error):
                for id in ids { receiptWaiters.removeValue(forKey: id)?.resume(throwing: error) }
            case .serverError(let error):
                serverError(error)
            case .stateChanged(let state):
                stateChanged(state)
            }
        }
    }

    private func deliver(_ message: StampedeMessage, to subscription: String) {
        if subscription == replySubscriptionID {
            if let correlation = message["correlation-id"], let waiter = requestWaiters.removeValue(forKey: correlation) {
                waiter.resume(returning: message)
            }
            return
        }
        if let pending = pendingBatch, pending.subscription != subscription { flushPendingBatch() }
        if pendingBatch == nil {
            pendingBatch = (subscription, [message])
        } else {
            pendingBatch!.messages.append(message)
        }
    }

    private func flushPendingBatch() {
        guard let pending = pendingBatch else { return }
        pendingBatch = nil
        streams[pending.subscription]?.yield(pending.messages)
    }

    private func serverError(_ error: ServerError) {
        if let receipt = error.receiptID {
            receiptWaiters.removeValue(forKey: receipt)?.resume(throwing: StampedeClientError.server(error))
        }
        // A refused SUBSCRIBE left the table: its sequence ends with the server's reason.
        for (id, stream) in streams where !session.subscriptions.contains(where: { $0.id == id }) {
            stream.finish(throwing: StampedeClientError.server(error))
            streams[id] = nil
        }
    }

    private func stateChanged(_ state: ClientConnectionState) {
        let connected = if case .connected = state { true } else { false }
        outbox.withLockedValue { $0.isConnected = connected }
        for listener in stateListeners.values { listener.yield(state) }
        switch state {
        case .connected:
            let waiters = connectWaiters
            connectWaiters = []
            for waiter in waiters { waiter.resume() }
            startTicking()
        case .closed(let reason):
            let error = reason ?? .closed
            for waiter in connectWaiters { waiter.resume(throwing: error) }
            connectWaiters = []
            for (_, waiter) in receiptWaiters { waiter.resume(throwing: error) }
            receiptWaiters = [:]
            for (_, waiter) in requestWaiters { waiter.resume(throwing: error) }
            requestWaiters = [:]
            for (_, stream) in streams {
                if let reason { stream.finish(throwing: reason) } else { stream.finish() }
            }
            streams = [:]
            for listener in stateListeners.values { listener.finish() }
            stateListeners = [:]
            tickTask?.cancel()
            reconnectTask?.cancel()
            transport = nil
            for waiter in closeWaiters { waiter.resume() }
            closeWaiters = []
        default:
            break
        }
    }

    private func openTransport() {
        generation += 1
        let generation = generation
        let endpoint = endpoint
        let options = options
        Task {
            do {
                let transport = try await ClientTransports.open(
                    endpoint, token: options.token, tokenQueryParameter: options.tokenQueryParameter, maxFrameBytes: options.maxFrameBytes,
                    tls: ClientTransports.tlsConfiguration(trustedCAFile: options.trustedCAFile))
                guard self.transportOpened(transport, generation: generation) else {
                    transport.close()
                    return
                }
                for try await _ in transport.inbound {
                    self.received(transport.takeReceived(), generation: generation)
                }
                self.transportClosed(generation: generation, error: nil)
            } catch {
                self.transportClosed(generation: generation, error: "\(error)")
            }
        }
    }

    private func transportOpened(_ transport: any ClientTransport, generation: Int) -> Bool {
        guard generation == self.generation else { return false }
        self.transport = transport
        apply(session.transportOpened(now: now))
        return true
    }

    private func received(_ bytes: [UInt8], generation: Int) {
        guard generation == self.generation else { return }
        apply(session.received(bytes, now: now))
    }

    private func transportClosed(generation: Int, error: String?) {
        guard generation == self.generation else { return }
        self.generation += 1
        transport = nil
        apply(session.transportClosed(now: now, error: error, random: Double.random(in: 0..<1)))
    }

    /// Closes the current transport; a transport still opening is abandoned (its events ignored).
    private func closeTransport() {
        if let transport {
            transport.close()
        } else {
            transportClosed(generation: generation, error: nil)
        }
    }

    private func forceClose(_ generationAtDisconnect: Int) {
        guard case .disconnecting = session.state else { return }
        transport?.close()
        transportClosed(generation: generation, error: nil)
    }

    private func reconnectDelayElapsed() {
        apply(session.reconnectDelayElapsed(now: now))
    }

    private func tick() {
        apply(session.tick(now: now))
    }

    private func startTicking() {
        tickTask?.cancel()
        tickTask = Task {
            while !Task.isCancelled {
                let interval = self.session.suggestedTickMilliseconds
                try? await Task.sleep(for: .milliseconds(min(interval, 250)))
                self.tick()
            }
        }
    }

    private func streamEnded(_ id: String) async {
        streams[id] = nil
        guard session.subscriptions.contains(where: { $0.id == id }) else { return }
        let receipt = session.isConnected ? nextReceipt() : nil
        try? await perform(receipt: receipt) { session, now in try session.unsubscribe(id: id, receipt: receipt, now: now) }
    }

    private func removeListener(_ key: Int) {
        stateListeners[key] = nil
    }
}
