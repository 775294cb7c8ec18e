import CHiredis
public import UVLoop

/// A dedicated Redis pub/sub connection (a subscribed connection cannot publish): connects,
/// names itself and reconnects like `RedisConnection`, and after every (re)connect subscribes
/// again to everything wanted, so a Redis restart loses only what was published meanwhile.
///
/// Pub/sub is at-most-once: messages published while disconnected are lost.
public final class RedisSubscriber: RedisLinkOwner {
    private let link: RedisLink
    private var channels = SubscriptionTable()
    private var patterns = SubscriptionTable()
    /// Most names per SUBSCRIBE command when re-subscribing.
    private static let namesPerCommand = 512

    /// Called for each message: its channel, the pattern it matched (`psubscribe`) and its payload.
    public var onMessage: ((_ channel: [UInt8], _ pattern: [UInt8]?, _ payload: [UInt8]) -> Void)?

    /// Creates a stopped subscriber; nothing happens before `start()`.
    public init(
        loop: EventLoop, endpoint: RedisEndpoint, name: String,
        connectTimeoutMilliseconds: UInt64 = 2000, reconnectMaxMilliseconds: UInt64 = 2000
    ) {
        link = RedisLink(
            loop: loop, endpoint: endpoint, name: name,
            connectTimeoutMilliseconds: connectTimeoutMilliseconds, reconnectMaxMilliseconds: reconnectMaxMilliseconds
        )
        link.owner = self
    }

    deinit {
        link.onStateChange = nil
        link.close()
    }

    /// Starts connecting (once); later connects happen by themselves until `close()`.
    public func start() {
        link.start()
    }

    /// Stops reconnecting and closes the connection; pending confirmations are dropped.
    public func close() {
        channels.removeAll()
        patterns.removeAll()
        onMessage = nil
        link.close()
    }

    /// Drops the current connection (it stopped answering) and reconnects with backoff;
    /// nothing happens unless connected. Subscriptions are made again on the new connection.
    public func reconnect(reason: String) {
        link.drop(reason: reason)
    }

    /// The current state.
    public var state: RedisLinkState { link.state }

    /// Called on the loop thread after every state change; `.closed` is reported from inside
    /// `close()`, and nothing after it.
    public var onStateChange: ((RedisLinkState) -> Void)? {
        get { link.onStateChange }
        set { link.onStateChange = newValue }
    }

    /// Channels and patterns wanted (kept across reconnects), acknowledged or not.
    public var subscriptionCount: Int { channels.count + patterns.count }

    /// Channels and patterns the server has acknowledged on the current connection.
    public var acknowledgedSubscriptionCount: Int { channels.acknowledgedCount + patterns.acknowledgedCount }

    /// Subscribes to `channel`, now and after every reconnect. `confirmed` runs once, when the
    /// server has acknowledged the subscription (on a later loop turn if it already has).
    public func subscribe(_ channel: String, confirmed: (() -> Void)? = nil) {
        add(Array(channel.utf8), isPattern: false, confirmed)
    }

    /// Subscribes to a glob-style pattern (`PSUBSCRIBE`); as `subscribe`.
    public func psubscribe(_ pattern: String, confirmed: (() -> Void)? = nil) {
        add(Array(pattern.utf8), isPattern: true, confirmed)
    }

    /// Stops wanting `channel`; its unconfirmed confirmations never run. Later messages are dropped.
    public func unsubscribe(_ channel: String) {
        remove(Array(channel.utf8), isPattern: false)
    }

    /// Stops wanting a pattern; as `unsubscribe`.
    public func punsubscribe(_ pattern: String) {
        remove(Array(pattern.utf8), isPattern: true)
    }

    private func add(_ name: [UInt8], isPattern: Bool, _ confirmed: (() -> Void)?) {
        guard link.state != .closed else { return }
        let connected = link.connectedContext != nil
        let outcome = isPattern
            ? patterns.add(name, confirmation: confirmed, connected: connected)
            : channels.add(name, confirmation: confirmed, connected: connected)
        switch outcome {
        case .send: sendSubscribe([name], isPattern: isPattern)
        case .confirmNow: if let confirmed { link.deferCall(confirmed) }
        case .wait: break
        }
    }

    private func remove(_ name: [UInt8], isPattern: Bool) {
        let wasWanted = isPattern ? patterns.remove(name) : channels.remove(name)
        guard wasWanted else { return }
        let command = Array((isPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE").utf8)
        // hiredis refuses it when it has no subscription yet; then there is nothing to undo.
        _ = link.sendCommand([command, name], callback: RedisSubscriber.pushCallback, privdata: nil)
    }

    private func sendSubscribe(_ names: [[UInt8]], isPattern: Bool) {
        let command = Array((isPattern ? "PSUBSCRIBE" : "SUBSCRIBE").utf8)
        guard link.sendCommand([command] + names, callback: RedisSubscriber.pushCallback, privdata: nil) else { return }
        if isPattern { patterns.didSend(names) } else { channels.didSend(names) }
    }

    // MARK: - Link events

    func linkSessionReady(_ link: RedisLink) {
        for (table, isPattern) in [(channels, false), (patterns, true)] {
            let names = table.names
            var start = 0
            while start < names.count {
                let end = min(start + Self.namesPerCommand, names.count)
                sendSubscribe(Array(names[start..<end]), isPattern: isPattern)
                start = end
            }
        }
    }

    func linkSessionLost(_ link: RedisLink) {
        channels.sessionEnded()
        patterns.sessionEnded()
    }

    // MARK: - Pushes

    /// hiredis calls this for subscribe/unsubscribe acks, every message, and with NULL at teardown.
    private static let pushCallback: HiredisReplyCallback = { context, reply, _ in
        guard let context, let reply, let data = context.pointee.data else { return }
        let link = Unmanaged<RedisLink>.fromOpaque(data).takeUnretainedValue()
        guard let subscriber = link.owner as? RedisSubscriber else { return }
        subscriber.handlePush(reply.assumingMemoryBound(to: redisReply.self).pointee)
    }

    private func handlePush(_ push: redisReply) {
        guard push.type == REDIS_REPLY_ARRAY, push.elements >= 3, let kind = push.element[0]?.pointee,
              let first = push.element[1]?.pointee, let second = push.element[2]?.pointee else { return }
        if Self.matches(kind, "message") {
            let channel = Self.bytes(first)
            guard channels.wants(channel) else { return }  // unsubscribed, ack not yet in
            onMessage?(channel, nil, Self.bytes(second))
        } else if Self.matches(kind, "pmessage") {
            guard push.elements >= 4, let payload = push.element[3]?.pointee else { return }
            let pattern = Self.bytes(first)
            guard patterns.wants(pattern) else { return }
            onMessage?(Self.bytes(second), pattern, Self.bytes(payload))
        } else if Self.matches(kind, "subscribe") {
            for confirmation in channels.acknowledge(Self.bytes(first)) { confirmation() }
        } else if Self.matches(kind, "psubscribe") {
            for confirmation in patterns.acknowledge(Self.bytes(first)) { confirmation() }
        }
        // unsubscribe / punsubscribe acks need nothing: the name was forgotten when asked.
    }

    private static func bytes(_ node: redisReply) -> [UInt8] {
        RedisReply.bytes(node.str, node.len)
    }

    private static func matches(_ node: redisReply, _ literal: StaticString) -> Bool {
        guard node.len == literal.utf8CodeUnitCount, let str = node.str else { return false }
        let text = UnsafeRawBufferPointer(start: str, count: node.len)
        return text.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: node.len))
    }
}
