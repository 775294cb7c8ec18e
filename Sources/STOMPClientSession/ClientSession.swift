public import STOMPWire

/// One client's STOMP state machine across reconnects: frames in, actions out.
///
/// The shell opens and closes transports, writes bytes, runs timers and passes the time in
/// (`now`, monotonic milliseconds); this type decides everything else: the CONNECT frame,
/// version and heart-beat negotiation, heart-beats sent and checked, the subscription table and
/// resubscription, receipts, ACK/NACK frames for the negotiated version, transactions, the backoff
/// between attempts and the bounded queue of sends made while disconnected.
public struct ClientSession: Sendable {
    public let configuration: ClientSessionConfiguration
    public private(set) var state: ClientConnectionState = .idle
    /// Live subscriptions by id, in the order they were made (resubscribed in that order).
    public private(set) var subscriptions: [ClientSubscription] = []
    /// Sends waiting for a connection, oldest first.
    public private(set) var queuedSends: [OutgoingSend] = []
    /// Increases with every CONNECTED: ACK ids of an earlier connection are worthless.
    public private(set) var connectionEpoch = 0
    /// Negotiated intervals (ms) of the current connection; 0 = none.
    public private(set) var outgoingHeartBeat: UInt64 = 0
    public private(set) var incomingHeartBeat: UInt64 = 0
    public private(set) var openTransactions: Set<String> = []
    /// Per-attempt deadline for the transport plus CONNECTED (ms).
    public var connectTimeoutMilliseconds: UInt64 = 10_000

    private var version: STOMPVersion = .v1_2
    private var decoder: STOMPDecoder
    private var failures = 0
    private var everConnected = false
    private var attemptStarted: UInt64 = 0
    private var lastReceived: UInt64 = 0
    private var lastSent: UInt64 = 0
    /// Receipts asked for on the current connection and not yet answered.
    private var awaitedReceipts: [String] = []
    /// SUBSCRIBE receipts → subscription id, so an ERROR naming one drops that subscription.
    private var subscribeReceipts: [String: String] = [:]
    /// Why the transport is being closed by us; used when its close is reported.
    private var closeReason: ClientSessionError?
    private var resubscribeCounter = 0

    static let disconnectReceipt = "stampede-client-disconnect"

    public init(configuration: ClientSessionConfiguration) {
        self.configuration = configuration
        decoder = STOMPDecoder(limits: configuration.limits)
    }

    public var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// How often the shell should call `tick` (ms).
    public var suggestedTickMilliseconds: UInt64 {
        let intervals = [outgoingHeartBeat, incomingHeartBeat].filter { $0 > 0 }.map { max(10, $0 / 2) }
        return min(intervals.min() ?? 1_000, 1_000)
    }

    // MARK: Lifecycle

    /// Starts the first connection attempt.
    public mutating func start(now: UInt64) -> [ClientAction] {
        guard case .idle = state else { return [] }
        return beginAttempt(now: now)
    }

    /// The transport is open: say CONNECT.
    public mutating func transportOpened(now: UInt64) -> [ClientAction] {
        guard case .connecting = state else { return [] }
        decoder = STOMPDecoder(limits: configuration.limits)
        var headers: [(String, String)] = [
            ("accept-version", configuration.acceptVersions.map(\.rawValue).joined(separator: ",")),
            ("host", configuration.host),
            ("heart-beat", configuration.heartBeat.headerValue),
        ]
        if let login = configuration.login { headers.append(("login", login)) }
        if let passcode = configuration.passcode { headers.append(("passcode", passcode)) }
        if let token = configuration.token { headers.append(("token", token)) }
        var frame = STOMPFrame(.CONNECT, headers: headers)
        frame.headers += configuration.connectHeaders
        lastReceived = now
        return [write(frame, now: now)]
    }

    /// Received transport bytes (any split).
    public mutating func received(_ bytes: [UInt8], now: UInt64) -> [ClientAction] {
        switch state {
        case .connecting, .connected, .disconnecting: break
        default: return []
        }
        lastReceived = now
        decoder.feed(bytes)
        var actions: [ClientAction] = []
        while closeReason == nil {
            let event: STOMPDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                actions += abort(.protocolViolation(error.message))
                break
            }
            guard let event else { break }
            if case .frame(let frame) = event {
                actions += handle(frame, now: now)
            }
        }
        return actions
    }

    /// The transport closed (or failed to open); `error` describes a failure. `random` (uniform in
    /// [0, 1)) sets the jitter of the reconnect delay; call `reconnectDelayElapsed` after it.
    public mutating func transportClosed(now: UInt64, error: String? = nil, random: Double = 0.5) -> [ClientAction] {
        let reason = closeReason ?? error.map { ClientSessionError.transport($0) } ?? .connectionLost("closed by the server")
        closeReason = nil
        switch state {
        case .idle, .closed, .waitingToReconnect:
            return []
        case .disconnecting:
            return finish(nil)
        case .connecting, .connected:
            var actions: [ClientAction] = []
            if !awaitedReceipts.isEmpty {
                actions.append(.receiptsFailed(awaitedReceipts, .connectionLost(reason.description)))
            }
            awaitedReceipts = []
            subscribeReceipts = [:]
            openTransactions = []
            outgoingHeartBeat = 0
            incomingHeartBeat = 0
            if case .server = reason, !isConnected {
                return actions + finish(reason)
            }
            if !everConnected && !configuration.retryFirstConnect {
                return actions + finish(reason)
            }
            failures += 1
            guard configuration.reconnect.allowsAttempt(after: failures - 1) else {
                return actions + finish(reason)
            }
            let delay = configuration.reconnect.delay(attempt: failures, random: random)
            state = .waitingToReconnect(attempt: failures + 1, delayMilliseconds: delay, reason: reason)
            return actions + [.stateChanged(state), .scheduleReconnect(afterMilliseconds: delay)]
        }
    }

    public mutating func reconnectDelayElapsed(now: UInt64) -> [ClientAction] {
        guard case .waitingToReconnect = state else { return [] }
        return beginAttempt(now: now)
    }

    /// Heart-beats out, heart-beat and CONNECT deadlines in.
    public mutating func tick(now: UInt64) -> [ClientAction] {
        guard closeReason == nil else { return [] }
        switch state {
        case .connecting:
            if now &- attemptStarted > connectTimeoutMilliseconds { return abort(.timeout) }
            return []
        case .connected:
            if incomingHeartBeat > 0, now &- lastReceived > incomingHeartBeat * configuration.heartBeatTolerance {
                return abort(.heartBeatTimeout)
            }
            if outgoingHeartBeat > 0, now &- lastSent >= outgoingHeartBeat {
                lastSent = now
                return [.write([0x0A])]
            }
            return []
        default:
            return []
        }
    }

    /// DISCONNECT (with a receipt, so every frame before it was processed), then close.
    public mutating func disconnect(now: UInt64) -> [ClientAction] {
        var actions: [ClientAction] = []
        let pending = queuedSends.compactMap(\.receipt)
        queuedSends = []
        if !pending.isEmpty { actions.append(.receiptsFailed(pending, .closed)) }
        switch state {
        case .connected:
            state = .disconnecting
            awaitedReceipts.append(Self.disconnectReceipt)
            actions.append(.stateChanged(state))
            actions.append(write(STOMPFrame(.DISCONNECT, headers: [("receipt", Self.disconnectReceipt)]), now: now))
        case .connecting:
            state = .disconnecting
            actions += [.stateChanged(state), .closeTransport]
        case .idle, .waitingToReconnect:
            actions += finish(nil)
        case .disconnecting, .closed:
            break
        }
        return actions
    }

    // MARK: Operations

    /// SEND now, or queue it until connected; past `maxQueuedSends` it fails.
    public mutating func send(_ send: OutgoingSend, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        switch state {
        case .connected:
            return [write(sendFrame(send), now: now)]
        case .closed, .disconnecting:
            throw .closed
        case .idle, .connecting, .waitingToReconnect:
            if send.headers.contains(where: { $0.name == "transaction" }) { throw .notConnected }
            guard queuedSends.count < configuration.maxQueuedSends else {
                throw .sendQueueFull(limit: configuration.maxQueuedSends)
            }
            queuedSends.append(send)
            return []
        }
    }

    /// Adds a subscription; SUBSCRIBE now if connected (with `receipt`), else at CONNECTED.
    public mutating func subscribe(_ subscription: ClientSubscription, receipt: String?, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        if case .closed = state { throw .closed }
        guard !subscriptions.contains(where: { $0.id == subscription.id }) else { throw .unknownSubscription(subscription.id) }
        subscriptions.append(subscription)
        guard isConnected else { return [] }
        return [write(subscribeFrame(subscription, receipt: receipt), now: now)]
    }

    public mutating func unsubscribe(id: String, receipt: String?, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        guard let index = subscriptions.firstIndex(where: { $0.id == id }) else { throw .unknownSubscription(id) }
        subscriptions.remove(at: index)
        guard isConnected else { return [] }
        var headers = [("id", id)]
        if let receipt { headers.append(("receipt", receipt)) }
        return [write(STOMPFrame(.UNSUBSCRIBE, headers: headers), now: now, receipt: receipt)]
    }

    /// ACK (or NACK) a MESSAGE received on connection `epoch`.
    public mutating func acknowledge(_ message: STOMPFrame, epoch: Int, positive: Bool, transaction: String? = nil, receipt: String? = nil, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        guard isConnected else { throw .notConnected }
        guard epoch == connectionEpoch else {
            throw .connectionLost("the message came on an earlier connection; the server redelivers it")
        }
        var headers: [(String, String)]
        if version >= .v1_2 {
            headers = [("id", message["ack"] ?? message["message-id"] ?? "")]
        } else {
            headers = [("subscription", message["subscription"] ?? ""), ("message-id", message["message-id"] ?? "")]
        }
        if let transaction { headers.append(("transaction", transaction)) }
        if let receipt { headers.append(("receipt", receipt)) }
        return [write(STOMPFrame(positive ? .ACK : .NACK, headers: headers), now: now, receipt: receipt)]
    }

    public mutating func begin(transaction: String, receipt: String? = nil, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        guard isConnected else { throw .notConnected }
        openTransactions.insert(transaction)
        return [write(transactionFrame(.BEGIN, transaction, receipt), now: now, receipt: receipt)]
    }

    /// COMMIT (`commit: true`) or ABORT an open transaction.
    public mutating func end(transaction: String, commit: Bool, receipt: String? = nil, now: UInt64) throws(ClientSessionError) -> [ClientAction] {
        guard isConnected else { throw .notConnected }
        guard openTransactions.remove(transaction) != nil else { throw .unknownTransaction(transaction) }
        return [write(transactionFrame(commit ? .COMMIT : .ABORT, transaction, receipt), now: now, receipt: receipt)]
    }

    // MARK: Frames from the server

    private mutating func handle(_ frame: STOMPFrame, now: UInt64) -> [ClientAction] {
        switch frame.command {
        case .CONNECTED:
            guard case .connecting = state else { return abort(.protocolViolation("CONNECTED on an open session")) }
            return connected(frame, now: now)
        case .MESSAGE:
            guard isConnected || state == .disconnecting, let id = frame["subscription"],
                  subscriptions.contains(where: { $0.id == id }) else { return [] }
            return [.deliver(subscription: id, message: frame)]
        case .RECEIPT:
            guard let id = frame["receipt-id"] else { return [] }
            awaitedReceipts.removeAll { $0 == id }
            subscribeReceipts[id] = nil
            if id == Self.disconnectReceipt, state == .disconnecting {
                return [.closeTransport]
            }
            return [.receipt(id)]
        case .ERROR:
            let error = ServerError(frame: frame)
            var actions: [ClientAction] = [.serverError(error)]
            if let receipt = error.receiptID {
                awaitedReceipts.removeAll { $0 == receipt }
                if let subscription = subscribeReceipts.removeValue(forKey: receipt) {
                    // A refused SUBSCRIBE is not repeated after the reconnect.
                    subscriptions.removeAll { $0.id == subscription }
                }
            }
            // The server closes after an ERROR; we close too, in case it does not.
            closeReason = .server(error)
            actions.append(.closeTransport)
            return actions
        default:
            return abort(.protocolViolation("unexpected \(frame.command.rawValue) frame"))
        }
    }

    private mutating func connected(_ frame: STOMPFrame, now: UInt64) -> [ClientAction] {
        let negotiated = frame["version"].flatMap(STOMPVersion.init(rawValue:)) ?? .v1_0
        guard configuration.acceptVersions.contains(negotiated) || frame["version"] == nil else {
            return abort(.protocolViolation("server chose version \(negotiated.rawValue), not offered"))
        }
        version = negotiated
        decoder.version = negotiated
        let server = frame["heart-beat"].flatMap(HeartBeat.init(header:)) ?? .disabled
        // HeartBeat.negotiate is written from the server's side: its "outgoing" is what we receive.
        let intervals = HeartBeat.negotiate(client: configuration.heartBeat, server: server)
        incomingHeartBeat = UInt64(intervals.outgoing)
        outgoingHeartBeat = UInt64(intervals.incoming)
        failures = 0
        everConnected = true
        connectionEpoch += 1
        lastReceived = now
        state = .connected(version: negotiated, server: frame["server"])
        var actions: [ClientAction] = [.stateChanged(state)]
        for subscription in subscriptions {
            resubscribeCounter += 1
            actions.append(write(subscribeFrame(subscription, receipt: "stampede-resubscribe-\(resubscribeCounter)"), now: now))
        }
        let waiting = queuedSends
        queuedSends = []
        for send in waiting {
            actions.append(write(sendFrame(send), now: now))
        }
        return actions
    }

    // MARK: Helpers

    private mutating func beginAttempt(now: UInt64) -> [ClientAction] {
        attemptStarted = now
        closeReason = nil
        state = .connecting(attempt: failures + 1)
        return [.stateChanged(state), .openTransport]
    }

    /// We end the connection for `reason`; the shell reports the close later.
    private mutating func abort(_ reason: ClientSessionError) -> [ClientAction] {
        guard closeReason == nil else { return [] }
        closeReason = reason
        return [.closeTransport]
    }

    private mutating func finish(_ reason: ClientSessionError?) -> [ClientAction] {
        var failed = awaitedReceipts + queuedSends.compactMap(\.receipt)
        failed.removeAll { $0 == Self.disconnectReceipt }
        awaitedReceipts = []
        queuedSends = []
        subscribeReceipts = [:]
        state = .closed(reason)
        var actions: [ClientAction] = []
        if !failed.isEmpty { actions.append(.receiptsFailed(failed, reason ?? .closed)) }
        actions.append(.stateChanged(state))
        return actions
    }

    private mutating func write(_ frame: STOMPFrame, now: UInt64, receipt: String? = nil) -> ClientAction {
        if let receipt = receipt ?? frame["receipt"] { awaitedReceipts.append(receipt) }
        lastSent = now
        return .write(STOMPEncoder.encode(frame, version: version))
    }

    private func sendFrame(_ send: OutgoingSend) -> STOMPFrame {
        var frame = STOMPFrame(command: .SEND, headers: [STOMPHeader(name: "destination", value: send.destination)] + send.headers, body: send.body)
        if let receipt = send.receipt { frame.setHeader("receipt", receipt) }
        return frame
    }

    private mutating func subscribeFrame(_ subscription: ClientSubscription, receipt: String?) -> STOMPFrame {
        var frame = STOMPFrame(.SUBSCRIBE, headers: [("id", subscription.id), ("destination", subscription.destination), ("ack", subscription.ack.rawValue)])
        frame.headers += subscription.headers
        if let receipt {
            frame.setHeader("receipt", receipt)
            subscribeReceipts[receipt] = subscription.id
        }
        return frame
    }

    private func transactionFrame(_ command: STOMPCommand, _ transaction: String, _ receipt: String?) -> STOMPFrame {
        var headers = [("transaction", transaction)]
        if let receipt { headers.append(("receipt", receipt)) }
        return STOMPFrame(command, headers: headers)
    }
}
