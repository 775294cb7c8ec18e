public import STOMPWire
public import Broker

/// One client's STOMP conversation, from CONNECT to DISCONNECT. A pure state machine: frames and
/// clock readings in, `SessionAction`s out. It never touches a socket or the broker itself.
public struct STOMPSession: Sendable {
    public enum State: Sendable, Equatable {
        case awaitingConnect
        case connected
        /// An ERROR or DISCONNECT receipt was sent; everything else is ignored.
        case closed
    }

    public let id: SessionID
    public let configuration: SessionConfiguration
    public private(set) var state: State = .awaitingConnect
    /// Negotiated at CONNECT; the connection encodes and decodes with it.
    public private(set) var version: STOMPVersion = .v1_2
    /// The endpoint the client came through (named in its identity); a WebSocket connection
    /// learns it at the handshake, before CONNECT.
    public var endpoint: String
    /// Who the session is; nil until CONNECT succeeded.
    public private(set) var identity: Identity?
    public private(set) var heartBeat: HeartBeatMonitor
    var transactions: TransactionTable
    /// The destination of the last SEND, handed out again while the client repeats it.
    private var lastSendDestination = ""

    public init(id: SessionID, configuration: SessionConfiguration = .init(), endpoint: String = "stomp", now: UInt64) {
        self.id = id
        self.endpoint = endpoint
        self.configuration = configuration
        self.heartBeat = HeartBeatMonitor(now: now)
        self.transactions = TransactionTable(
            maxTransactions: configuration.maxTransactions,
            maxFramesPerTransaction: configuration.maxFramesPerTransaction
        )
    }

    /// The name `/user/...` destinations are resolved with: the login, or for anonymous sessions
    /// a name no login can take.
    public var principal: String { identity?.principal ?? "anonymous-\(id)" }

    /// The authenticated user id, nil for anonymous sessions (and before CONNECT).
    public var user: String? { identity?.user }

    // MARK: Events

    /// A decoded frame arrived. The authenticator is asked for only when a CONNECT is judged:
    /// building one per frame cost the per-message path a struct copy and an existential.
    /// The frame is consumed: a SEND's header array becomes the message's (see `send`).
    public mutating func receive(_ frame: consuming STOMPFrame, authenticator: @autoclosure () -> any Authenticator, now: UInt64) -> [SessionAction] {
        heartBeat.noteReceived(now: now)
        switch state {
        case .closed:
            return []
        case .awaitingConnect:
            guard frame.command == .CONNECT || frame.command == .STOMP else {
                return fail("expected CONNECT or STOMP, got \(frame.command.rawValue)", receipt: frame["receipt"])
            }
            return connect(frame, authenticator: authenticator(), now: now)
        case .connected:
            return handleConnected(consume frame)
        }
    }

    /// `receive` appending its actions to `actions`: a caller that hands the same emptied array
    /// back each time makes a SEND allocate nothing for its actions (an array allocated and
    /// freed per SEND before, issue 13).
    public mutating func receive(_ frame: consuming STOMPFrame, authenticator: @autoclosure () -> any Authenticator, now: UInt64, into actions: inout [SessionAction]) {
        guard state == .connected, frame.command == .SEND else {
            return actions.append(contentsOf: receive(consume frame, authenticator: authenticator(), now: now))
        }
        heartBeat.noteReceived(now: now)
        send(consume frame, into: &actions)
    }

    /// Any bytes arrived (heart-beat EOLs included).
    public mutating func noteReceived(now: UInt64) { heartBeat.noteReceived(now: now) }

    /// The connection wrote something to the client (frames written outside the session count too).
    public mutating func noteSent(now: UInt64) { heartBeat.noteSent(now: now) }

    /// Periodic check: sends a heart-beat when we have been quiet, closes a silent client.
    public mutating func tick(now: UInt64) -> [SessionAction] {
        guard state == .connected else { return [] }
        switch heartBeat.check(now: now, tolerance: configuration.heartBeatToleranceFactor) {
        case .nothing: return []
        case .sendHeartBeat: return [.sendHeartBeat]
        case .peerTimedOut(let silentFor):
            return fail("heart-beat timeout: nothing received for \(silentFor) ms", receipt: nil)
        }
    }

    /// The decoder rejected the input.
    public mutating func decodingFailed(_ error: STOMPWireError) -> [SessionAction] {
        fail(error.message, receipt: error.receipt)
    }

    /// The broker refused an operation this session asked for.
    public mutating func operationFailed(_ message: String, receipt: String?) -> [SessionAction] {
        fail(message, receipt: receipt)
    }

    /// The node is shutting down or refusing this client for a reason of its own.
    public mutating func terminate(_ message: String) -> [SessionAction] {
        fail(message, receipt: nil)
    }

    // MARK: CONNECT

    private mutating func connect(_ frame: STOMPFrame, authenticator: some Authenticator, now: UInt64) -> [SessionAction] {
        let offered = configuration.supportedVersions
        guard let negotiated = STOMPVersion.negotiate(acceptVersion: frame["accept-version"], supported: offered) else {
            let list = offered.sorted().map(\.rawValue).joined(separator: ",")
            return fail("no common STOMP version: the server supports \(list)", receipt: nil, extra: [("version", list)])
        }
        version = negotiated
        var clientBeat = HeartBeat(canSend: 0, wantsReceive: 0)
        if let header = frame["heart-beat"] {
            guard let parsed = HeartBeat(header: header) else {
                return fail("malformed heart-beat header '\(header)'", receipt: nil)
            }
            clientBeat = parsed
        }
        let credentials = ConnectCredentials(
            login: frame["login"], passcode: frame["passcode"], headers: Array(frame.headers), session: id, endpoint: endpoint)
        switch authenticator.authenticate(credentials) {
        case .rejected(let reason):
            return fail("authentication failed: \(reason)", receipt: nil)
        case .accepted(let identity):
            self.identity = identity
        }
        let intervals = HeartBeat.negotiate(client: clientBeat, server: configuration.heartBeat)
        heartBeat.start(outgoing: UInt64(intervals.outgoing), incoming: UInt64(intervals.incoming), now: now)
        state = .connected
        var headers: [(String, String)] = [
            ("version", negotiated.rawValue),
            ("session", String(id)),
            ("server", configuration.serverName),
            ("heart-beat", configuration.heartBeat.headerValue),
        ]
        if let user { headers.append(("user-name", user)) }
        return [.send(STOMPFrame(.CONNECTED, headers: headers))]
    }

    // MARK: Connected

    private mutating func handleConnected(_ frame: consuming STOMPFrame) -> [SessionAction] {
        // The receipt is looked up where it is needed: a SEND reads its headers in one pass.
        switch frame.command {
        case .CONNECT, .STOMP:
            return fail("already connected", receipt: frame["receipt"])
        case .SEND:
            return send(consume frame)
        case .SUBSCRIBE:
            return subscribe(frame)
        case .UNSUBSCRIBE:
            let id = frame["id"] ?? (version == .v1_0 ? frame["destination"] : nil)
            guard let id else { return missing("id", frame) }
            return perform(.unsubscribe(id: id), receipt: frame["receipt"])
        case .ACK, .NACK:
            return acknowledge(frame)
        case .BEGIN, .COMMIT, .ABORT:
            return transaction(frame)
        case .DISCONNECT:
            transactions.removeAll()
            state = .closed
            if let receipt = frame["receipt"] { return [.send(STOMPFrame(.RECEIPT, headers: [("receipt-id", receipt)])), .close] }
            return [.close]
        case .CONNECTED, .MESSAGE, .RECEIPT, .ERROR:
            return fail("\(frame.command.rawValue) is a server frame", receipt: frame["receipt"])
        }
    }

    /// A SEND, read in one pass over its headers: the per-message path.
    private mutating func send(_ frame: consuming STOMPFrame) -> [SessionAction] {
        var actions: [SessionAction] = []
        send(consume frame, into: &actions)
        return actions
    }

    private mutating func send(_ frame: consuming STOMPFrame, into actions: inout [SessionAction]) {
        var destination: String?, receipt: String?, transaction: String?
        // The frame's headers are taken, not copied, and become the message's headers with what
        // only concerns the SEND removed in place; the body is moved too.
        var forwarded = STOMPHeaders()
        swap(&forwarded, &frame.headers)
        var body: [UInt8] = []
        swap(&body, &frame.body)
        var remembered = ""
        swap(&remembered, &lastSendDestination)
        forwarded.removeEntries { name, value in
            // The first of repeated headers counts. The length picks the one name to compare with.
            switch name.count {
            case 11 where name.spells("destination"):
                if destination == nil { destination = Self.text(value, reusing: &remembered) }
            case 11 where name.spells("transaction"):
                if transaction == nil { transaction = String(decoding: value, as: UTF8.self) }
            case 7 where name.spells("receipt"):
                if receipt == nil { receipt = String(decoding: value, as: UTF8.self) }
            case 14 where name.spells("content-length"), 10 where name.spells("message-id"),
                 12 where name.spells("subscription"), 3 where name.spells("ack"):
                break
            default:
                return false
            }
            return true
        }
        swap(&remembered, &lastSendDestination)
        guard let destination, !destination.isEmpty else {
            return actions.append(contentsOf: fail("SEND requires a 'destination' header", receipt: receipt))
        }
        let operation = BrokerOperation.send(destination: consume destination, headers: consume forwarded, body: consume body)
        guard let transaction else { return perform(consume operation, receipt: receipt, into: &actions) }
        actions.append(contentsOf: inTransaction(transaction, operation, receipt: receipt))
    }

    /// `bytes` as a String, which is `remembered` (shared, not built again) when the bytes spell
    /// it; otherwise the new String is remembered. Clients send run after run of SENDs to one
    /// destination, and the node's memo of the last destination compares it by identity.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, reusing remembered: inout String) -> String {
        if !bytes.hasSameBytes(as: remembered) { remembered = String(decoding: bytes, as: UTF8.self) }
        return remembered
    }

    private mutating func subscribe(_ frame: STOMPFrame) -> [SessionAction] {
        guard let destination = required(frame, "destination") else { return missing("destination", frame) }
        let id: String
        if let given = frame["id"] {
            id = given
        } else if version == .v1_0 {
            id = destination
        } else {
            return missing("id", frame)
        }
        let ackValue = frame["ack"] ?? "auto"
        guard let ackMode = AckMode(rawValue: ackValue) else {
            return fail("unknown ack mode '\(ackValue)': use auto, client or client-individual", receipt: frame["receipt"])
        }
        var prefetch: Int?
        if let value = frame["prefetch-count"] {
            guard let parsed = Int(value), parsed >= 0 else {
                return fail("prefetch-count must be a non-negative integer", receipt: frame["receipt"])
            }
            prefetch = parsed
        }
        let operation = BrokerOperation.subscribe(id: id, destination: destination, ackMode: ackMode, prefetch: prefetch)
        return perform(operation, receipt: frame["receipt"])
    }

    private mutating func acknowledge(_ frame: STOMPFrame) -> [SessionAction] {
        let isAck = frame.command == .ACK
        if !isAck && version == .v1_0 { return fail("NACK is not part of STOMP 1.0", receipt: frame["receipt"]) }
        let operation: BrokerOperation
        if version == .v1_2 {
            guard let id = frame["id"] else { return missing("id", frame) }
            operation = isAck ? .ack(id: id) : .nack(id: id)
        } else {
            guard let messageID = frame["message-id"] else { return missing("message-id", frame) }
            let subscription = frame["subscription"]
            if version == .v1_1 && subscription == nil { return missing("subscription", frame) }
            operation = isAck
                ? .ackMessage(subscription: subscription, messageID: messageID)
                : .nackMessage(subscription: subscription, messageID: messageID)
        }
        return inTransactionOrNow(frame, operation)
    }

    private mutating func transaction(_ frame: STOMPFrame) -> [SessionAction] {
        let receipt = frame["receipt"]
        guard let name = frame["transaction"] else { return missing("transaction", frame) }
        let result: Result<[BrokerOperation], TransactionTable.Failure>
        switch frame.command {
        case .BEGIN: result = transactions.begin(name).map { [] }
        case .COMMIT: result = transactions.commit(name)
        default: result = transactions.abort(name).map { [] }
        }
        switch result {
        case .failure(let failure):
            return fail(failure.message, receipt: receipt)
        case .success(let operations):
            var actions = operations.map { SessionAction.perform($0, receipt: receipt) }
            if let receipt { actions.append(.send(STOMPFrame(.RECEIPT, headers: [("receipt-id", receipt)]))) }
            return actions
        }
    }

    // MARK: Helpers

    private mutating func inTransactionOrNow(_ frame: STOMPFrame, _ operation: BrokerOperation) -> [SessionAction] {
        let receipt = frame["receipt"]
        guard let name = frame["transaction"] else { return perform(operation, receipt: receipt) }
        return inTransaction(name, operation, receipt: receipt)
    }

    private mutating func inTransaction(_ name: String, _ operation: BrokerOperation, receipt: String?) -> [SessionAction] {
        if case .failure(let failure) = transactions.append(operation, to: name) {
            return fail(failure.message, receipt: receipt)
        }
        return receipt.map { [.send(STOMPFrame(.RECEIPT, headers: [("receipt-id", $0)]))] } ?? []
    }

    /// Consuming: a SEND's operation (its header and body arrays) is moved into the action, not
    /// copied (a retain and release of each per SEND, issue 13).
    private func perform(_ operation: consuming BrokerOperation, receipt: String?) -> [SessionAction] {
        var actions: [SessionAction] = []
        perform(consume operation, receipt: receipt, into: &actions)
        return actions
    }

    private func perform(_ operation: consuming BrokerOperation, receipt: String?, into actions: inout [SessionAction]) {
        actions.append(.perform(consume operation, receipt: receipt))
        if let receipt { actions.append(.send(STOMPFrame(.RECEIPT, headers: [("receipt-id", receipt)]))) }
    }

    private func required(_ frame: STOMPFrame, _ name: String) -> String? {
        guard let value = frame[name], !value.isEmpty else { return nil }
        return value
    }

    private mutating func missing(_ header: String, _ frame: STOMPFrame) -> [SessionAction] {
        fail("\(frame.command.rawValue) requires a '\(header)' header", receipt: frame["receipt"])
    }

    /// ERROR with `message` (and `receipt-id`), then close. The session is dead afterwards.
    private mutating func fail(_ message: String, receipt: String?, extra: [(String, String)] = []) -> [SessionAction] {
        guard state != .closed else { return [] }
        state = .closed
        transactions.removeAll()
        var headers: [(String, String)] = [("message", message)]
        if let receipt { headers.append(("receipt-id", receipt)) }
        headers.append(contentsOf: extra)
        headers.append(("content-type", "text/plain"))
        return [.send(STOMPFrame(.ERROR, headers: headers, body: Array(message.utf8))), .close]
    }
}
