import CHiredis
public import UVLoop

/// An asynchronous Redis command connection on the loop's thread: connects with a timeout,
/// names itself (`CLIENT SETNAME`), reconnects with exponential backoff until `close()`.
///
/// Every completion runs exactly once on the loop thread: with the server's reply, or with an
/// `.error` made locally (`not connected …`, `connection lost …`, `connection closed`). Local
/// errors are delivered on a later loop turn, never from inside `send` or `close`.
/// Replies arrive in the order the commands were sent.
public final class RedisConnection: RedisLinkOwner {
    private let link: RedisLink

    /// Creates a stopped connection; nothing happens before `start()`.
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

    /// Stops reconnecting and closes the connection. In-flight commands complete with
    /// `.error("connection closed")` on a later turn. Safe to call twice and from callbacks.
    public func close() {
        link.close()
    }

    /// Drops the current connection (it stopped answering) and reconnects with backoff;
    /// nothing happens unless connected. In-flight commands complete with errors.
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

    /// Commands completed with an error reply, from the server or made locally.
    public var commandsFailed: UInt64 { link.commandsFailed }

    /// The server this connection talks to.
    public var endpoint: RedisEndpoint { link.endpoint }

    /// Sends one command, binary-safe (`["SET", key, value]` as bytes). Pub/sub-mode commands
    /// (`SUBSCRIBE`, `MONITOR`, …) are refused with an error: use `RedisSubscriber`.
    public func send(_ arguments: [[UInt8]], completion: ((RedisReply) -> Void)? = nil) {
        if let refusal = Self.refusal(of: arguments) {
            return failLocally(completion, refusal)
        }
        guard link.connectedContext != nil else {
            return failLocally(completion, "not connected (\(link.state))")
        }
        guard let completion else {
            if !link.sendCommand(arguments, callback: RedisConnection.countingCallback, privdata: nil) {
                link.commandsFailed += 1
            }
            return
        }
        let pending = Unmanaged.passRetained(PendingCommand(completion))
        if !link.sendCommand(arguments, callback: RedisConnection.completionCallback, privdata: pending.toOpaque()) {
            pending.release()
            failLocally(completion, "not connected (hiredis refused the command)")
        }
    }

    /// Sends one command given as UTF-8 strings.
    public func send(_ arguments: [String], completion: ((RedisReply) -> Void)? = nil) {
        send(arguments.map { Array($0.utf8) }, completion: completion)
    }

    private func failLocally(_ completion: ((RedisReply) -> Void)?, _ message: String) {
        if let completion {
            link.fail(completion, message)
        } else {
            link.commandsFailed += 1
        }
    }

    /// Commands that switch the connection into a mode hiredis 0.14.1 cannot route replies for.
    private static let refusedCommands: [[UInt8]] = [
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor",
    ].map { Array($0.utf8) }

    /// Why a command is refused locally, if it is (compared without allocating: this runs per send).
    private static func refusal(of arguments: [[UInt8]]) -> String? {
        guard let command = arguments.first else { return "empty command" }
        guard (7...12).contains(command.count) else { return nil }
        for refused in refusedCommands where refused.count == command.count {
            // `| 0x20` lower-cases ASCII letters, and every refused name is letters only.
            if zip(refused, command).allSatisfy({ $0 == $1 | 0x20 }) {
                let name = String(decoding: refused, as: UTF8.self).uppercased()
                return "\(name) is not supported on a command connection: use RedisSubscriber"
            }
        }
        return nil
    }

    func linkSessionReady(_ link: RedisLink) {}
    func linkSessionLost(_ link: RedisLink) {}

    // MARK: - hiredis callbacks

    /// For commands with a completion: privdata is a retained `PendingCommand`.
    private static let completionCallback: HiredisReplyCallback = { context, reply, privdata in
        guard let privdata else { return }
        let pending = Unmanaged<PendingCommand>.fromOpaque(privdata).takeRetainedValue()
        guard let context, let data = context.pointee.data else { return }
        let link = Unmanaged<RedisLink>.fromOpaque(data).takeUnretainedValue()
        guard let reply else {
            return link.fail(pending.completion, link.lostReason(context))
        }
        let copied = RedisReply(copying: reply.assumingMemoryBound(to: redisReply.self))
        if copied.isError { link.commandsFailed += 1 }
        pending.completion(copied)
    }

    /// For fire-and-forget commands: only counts failures.
    private static let countingCallback: HiredisReplyCallback = { context, reply, _ in
        guard let context, let data = context.pointee.data else { return }
        let link = Unmanaged<RedisLink>.fromOpaque(data).takeUnretainedValue()
        if let reply {
            if reply.assumingMemoryBound(to: redisReply.self).pointee.type == REDIS_REPLY_ERROR { link.commandsFailed += 1 }
        } else {
            link.commandsFailed += 1
        }
    }
}

/// A command's completion, kept alive by hiredis's privdata until its callback runs.
final class PendingCommand {
    let completion: (RedisReply) -> Void

    init(_ completion: @escaping (RedisReply) -> Void) {
        self.completion = completion
    }
}
