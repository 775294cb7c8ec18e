// Ownership and threading of the Redis client (everything runs on the loop's thread):
//
// - `redisAsyncContext`: created by `redisAsyncConnect`. hiredis frees it itself after the connect
//   callback reports a failure and after the disconnect callback; the link frees it with
//   `redisAsyncFree` only for a connect timeout or `close()`, and never from inside a hiredis
//   callback that hiredis is not prepared for: inside a reply callback hiredis defers the free
//   itself (`REDIS_IN_CALLBACK`); inside a connect/disconnect callback or a poll event the link
//   waits until hiredis has returned (`hiredisDepth`, `adapterToFree`). A context that failed
//   synchronously in `redisAsyncConnect` is freed at once (no callbacks exist yet).
// - `redisReply`: owned by hiredis, freed after each callback returns; `RedisReply` copies it.
// - `uv_poll_t`: owned by `HiredisPollAdapter`, whose memory is freed in the uv_close callback;
//   `handle->data` holds +1 on the adapter until then. hiredis's `cleanup` hook starts the close.
// - `ac->data` and `ac->ev.data`: unretained pointers to the link and the adapter. The adapter
//   holds the link strongly, so both outlive every callback of their context.
// - Command privdata: a `PendingCommand` passed +1 (`passRetained`); hiredis calls each command
//   callback exactly once (with the reply, or NULL when the context goes away), which releases it.
//   If `redisAsyncCommandArgv` refuses the command, the sender releases it at once.
// - Subscription callbacks carry no privdata; they reach the subscriber through the link's weak
//   `owner`.
// - The link's timers (UVLoop `Timer`) capture the link strongly until `close()` closes them.
//   The public `RedisConnection` / `RedisSubscriber` own their link; the link holds them weakly,
//   and their `deinit` closes the link.
import CHiredis
import CLibUV
import UVLoop

/// What a link tells the object that owns it (the command connection or the subscriber).
protocol RedisLinkOwner: AnyObject {
    /// Connected and named: re-establish whatever the session needs.
    func linkSessionReady(_ link: RedisLink)
    /// A connected session ended (connection lost or closed).
    func linkSessionLost(_ link: RedisLink)
}

/// The C type of hiredis reply callbacks (`redisCallbackFn *`).
typealias HiredisReplyCallback = @convention(c) (
    UnsafeMutablePointer<redisAsyncContext>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
) -> Void

/// One hiredis async connection with connect timeout and reconnection: the I/O shell around
/// `RedisLinkMachine`. Shared by `RedisConnection` and `RedisSubscriber`.
final class RedisLink {
    let loop: EventLoop
    let endpoint: RedisEndpoint
    let name: String
    private let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private var machine: RedisLinkMachine<SystemRandomNumberGenerator>
    /// The last state handed to `onStateChange`.
    private var notifiedState: RedisLinkState
    var onStateChange: ((RedisLinkState) -> Void)?
    weak var owner: (any RedisLinkOwner)?

    /// The adapter of the current context; `nil` when there is none (or it is being given up).
    private var adapter: HiredisPollAdapter?
    /// A context given up while hiredis was on the stack: freed when hiredis returns.
    private var adapterToFree: HiredisPollAdapter?
    /// How many hiredis entry points (poll events, frees) are on the stack.
    private var hiredisDepth = 0

    /// Connect timeout while connecting, reconnect delay while disconnected.
    private var timer: Timer?
    /// Calls to run on a later loop turn (error completions, confirmations).
    private var deferredCalls: [() -> Void] = []
    private var deferredTimer: Timer?

    /// Why the last session was dropped right after connecting (AUTH or SELECT refused).
    var loginFailure: String?
    /// AUTH/SELECT replies still awaited before the link counts as connected.
    private var pendingLoginReplies = 0

    /// Commands completed with an error reply (from the server or made locally).
    var commandsFailed: UInt64 = 0

    init(loop: EventLoop, endpoint: RedisEndpoint, name: String, connectTimeoutMilliseconds: UInt64, reconnectMaxMilliseconds: UInt64) {
        self.loop = loop
        self.endpoint = endpoint
        self.name = name
        self.uvLoop = loop.uvLoop
        self.machine = RedisLinkMachine(
            connectTimeoutMilliseconds: connectTimeoutMilliseconds,
            reconnectMaxMilliseconds: reconnectMaxMilliseconds,
            random: SystemRandomNumberGenerator()
        )
        self.notifiedState = machine.state
    }

    var state: RedisLinkState { machine.state }

    /// The context, if connected.
    var connectedContext: UnsafeMutablePointer<redisAsyncContext>? {
        guard machine.state == .connected else { return nil }
        return adapter?.context
    }

    func start() {
        perform(machine.start())
    }

    /// Stops reconnecting and frees the context; pending command callbacks get errors on a later turn.
    func close() {
        perform(machine.close())
        timer?.close()
        timer = nil
        onStateChange = nil
    }

    /// Drops a connected session that stopped answering and reconnects (with backoff).
    func drop(reason: String) {
        perform(machine.dropped(reason: reason))
    }

    // MARK: - Actions

    private func perform(_ actions: [RedisLinkMachine<SystemRandomNumberGenerator>.Action]) {
        for action in actions {
            switch action {
            case .openContext: openContext()
            case .abandonContext: abandonContext()
            case .armTimer(let milliseconds): armTimer(milliseconds)
            case .stopTimer: timer?.stop()
            case .sessionReady:
                nameConnection()
                owner?.linkSessionReady(self)
            case .sessionLost: owner?.linkSessionLost(self)
            }
        }
        notifyIfChanged()
    }

    /// User code runs last, once per change, and sees the current state (events may nest).
    private func notifyIfChanged() {
        let current = machine.state
        guard current != notifiedState else { return }
        notifiedState = current
        onStateChange?(current)
    }

    private func armTimer(_ milliseconds: UInt64) {
        guard machine.state != .closed else { return }
        let timer: Timer
        if let existing = self.timer {
            timer = existing
        } else {
            timer = Timer(loop: loop)
            self.timer = timer
        }
        timer.start(afterMilliseconds: milliseconds) { [self] in
            perform(machine.timerFired())
        }
    }

    private func openContext() {
        guard let context = redisAsyncConnect(endpoint.host, Int32(endpoint.port)) else {
            return perform(machine.connectFailed(reason: "cannot allocate a hiredis context"))
        }
        if context.pointee.err != 0 || redisEnableKeepAlive(&context.pointee.c) != REDIS_OK {
            let reason = Self.errorText(context)
            redisAsyncFree(context)  // no hooks and no callbacks yet: ours to free
            return perform(machine.connectFailed(reason: reason))
        }
        guard let adapter = HiredisPollAdapter(link: self, context: context, loop: uvLoop) else {
            redisAsyncFree(context)
            return perform(machine.connectFailed(reason: "libuv cannot poll the socket"))
        }
        context.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        self.adapter = adapter
        // Setting the connect callback asks for the first writable event (hooks must be set first).
        _ = redisAsyncSetConnectCallback(context, RedisLink.connectCallback)
        _ = redisAsyncSetDisconnectCallback(context, RedisLink.disconnectCallback)
    }

    private func abandonContext() {
        guard let adapter else { return }
        self.adapter = nil
        freeContext(of: adapter)
    }

    private func freeContext(of adapter: HiredisPollAdapter) {
        guard let context = adapter.context else { return }  // hiredis already freed it
        let flags = context.pointee.c.flags
        if flags & REDIS_FREEING != 0 { return }
        if flags & REDIS_IN_CALLBACK != 0 {
            redisAsyncFree(context)  // hiredis only marks it and frees once the reply callback returns
        } else if hiredisDepth > 0 {
            adapterToFree = adapter
        } else {
            enterHiredis()
            redisAsyncFree(context)
            leaveHiredis()
        }
    }

    func enterHiredis() {
        hiredisDepth += 1
    }

    func leaveHiredis() {
        hiredisDepth -= 1
        guard hiredisDepth == 0, let adapter = adapterToFree else { return }
        adapterToFree = nil
        freeContext(of: adapter)
    }

    /// AUTH and SELECT right after the TCP connect, before the link counts as connected: the
    /// session (and /readyz) is up only once Redis accepted them, and the connect timeout covers
    /// them too. A refusal drops the connection with Redis's reason (which never contains the
    /// password); the link then reconnects with backoff.
    private func logIn(_ context: UnsafeMutablePointer<redisAsyncContext>) -> Bool {
        let commands = endpoint.loginCommands
        guard !commands.isEmpty else { return false }
        pendingLoginReplies = commands.count
        for command in commands {
            _ = sendCommand(command, on: context, callback: RedisLink.loginCallback, privdata: nil)
        }
        return true
    }

    private static let loginCallback: HiredisReplyCallback = { context, reply, _ in
        guard let context, let reply, let adapter = HiredisPollAdapter.attached(to: context) else { return }
        let link = adapter.link
        guard adapter === link.adapter, link.pendingLoginReplies > 0 else { return }
        let answer = reply.assumingMemoryBound(to: redisReply.self)
        if answer.pointee.type == REDIS_REPLY_ERROR {
            let message = answer.pointee.str.map { String(cString: $0) } ?? "refused"
            link.pendingLoginReplies = 0
            link.loginFailure = "login refused by Redis: \(message)"
            redisAsyncDisconnect(context)
            return
        }
        link.pendingLoginReplies -= 1
        if link.pendingLoginReplies == 0 { link.perform(link.machine.connected()) }
    }

    /// `CLIENT SETNAME`, with characters Redis rejects in names replaced by `-`.
    private func nameConnection() {
        let clientName = name.utf8.map { $0 > 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "-") }
        guard !clientName.isEmpty else { return }
        _ = sendCommand([Array("CLIENT".utf8), Array("SETNAME".utf8), clientName], callback: nil, privdata: nil)
    }

    // MARK: - hiredis callbacks

    private static let connectCallback: @convention(c) (UnsafePointer<redisAsyncContext>?, Int32) -> Void = { context, status in
        guard let context, let adapter = HiredisPollAdapter.attached(to: context) else { return }
        let link = adapter.link
        guard adapter === link.adapter else { return }  // a context already given up
        if status == REDIS_OK {
            if !link.logIn(UnsafeMutablePointer(mutating: context)) { link.perform(link.machine.connected()) }
        } else {
            link.adapter = nil  // hiredis frees the context when this callback returns
            link.perform(link.machine.connectFailed(reason: errorText(context)))
        }
    }

    private static let disconnectCallback: @convention(c) (UnsafePointer<redisAsyncContext>?, Int32) -> Void = { context, status in
        guard let context, let adapter = HiredisPollAdapter.attached(to: context) else { return }
        let link = adapter.link
        guard adapter === link.adapter else { return }
        link.adapter = nil  // hiredis frees the context when this callback returns
        var reason = status == REDIS_OK ? "disconnected" : errorText(context)
        if let failure = link.loginFailure {
            reason = failure
            link.loginFailure = nil
        }
        if link.machine.state == .connecting {
            // Dropped during AUTH/SELECT: to the machine that is a failed connect.
            return link.perform(link.machine.connectFailed(reason: reason))
        }
        link.perform(link.machine.disconnected(reason: reason))
    }

    // MARK: - Commands and deferred calls

    /// Queues a command on the connected context (hiredis copies the arguments). `false` when not
    /// connected or hiredis refused it; then the callback will not run.
    func sendCommand(_ arguments: [[UInt8]], callback: HiredisReplyCallback?, privdata: UnsafeMutableRawPointer?) -> Bool {
        guard let context = connectedContext else { return false }
        return sendCommand(arguments, on: context, callback: callback, privdata: privdata)
    }

    private func sendCommand(_ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisAsyncContext>,
                             callback: HiredisReplyCallback?, privdata: UnsafeMutableRawPointer?) -> Bool {
        guard !arguments.isEmpty else { return false }
        let count = arguments.count
        var total = 0
        for argument in arguments { total += argument.count }
        return withUnsafeTemporaryAllocation(byteCount: total + 1, alignment: 1) { bytes in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { pointers in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { lengths in
                    let base = bytes.baseAddress!
                    var offset = 0
                    for (index, argument) in arguments.enumerated() {
                        argument.withUnsafeBytes { source in
                            if let start = source.baseAddress {
                                (base + offset).copyMemory(from: start, byteCount: source.count)
                            }
                        }
                        pointers[index] = UnsafePointer((base + offset).assumingMemoryBound(to: CChar.self))
                        lengths[index] = argument.count
                        offset += argument.count
                    }
                    return redisAsyncCommandArgv(context, callback, privdata, Int32(count), pointers.baseAddress, lengths.baseAddress) == REDIS_OK
                }
            }
        }
    }

    /// Why a command got no reply: the context went away.
    func lostReason(_ context: UnsafePointer<redisAsyncContext>?) -> String {
        if machine.state == .closed { return "connection closed" }
        if let context, context.pointee.c.err != 0 { return "connection lost: \(Self.errorText(context))" }
        return "connection lost"
    }

    /// Completes a command with an error on a later loop turn.
    func fail(_ completion: @escaping (RedisReply) -> Void, _ message: String) {
        commandsFailed += 1
        deferCall { completion(.error(message)) }
    }

    /// Runs `call` on a later loop turn (never from inside the caller's stack).
    func deferCall(_ call: @escaping () -> Void) {
        deferredCalls.append(call)
        guard deferredTimer == nil else { return }
        let timer = Timer(loop: loop)
        deferredTimer = timer
        timer.start(afterMilliseconds: 0) { [self] in
            runDeferredCalls()
        }
    }

    private func runDeferredCalls() {
        deferredTimer?.close()
        deferredTimer = nil
        let calls = deferredCalls
        deferredCalls = []
        for call in calls { call() }
    }

    static func errorText(_ context: UnsafePointer<redisAsyncContext>) -> String {
        let code = context.pointee.c.err
        return withUnsafeBytes(of: context.pointee.c.errstr) { raw in
            let text = raw.prefix { $0 != 0 }
            return text.isEmpty ? "hiredis error \(code)" : String(decoding: text, as: UTF8.self)
        }
    }
}
