public import Applications
public import Gateway
public import Logging
internal import Foundation
internal import STOMPWire
internal import UVLoop
internal import Broker

/// A Stampede node inside your own program. It runs on a thread of its own (its libuv loop);
/// your code registers closures for `/app` destinations and, from any thread or task, publishes,
/// sends to users and reads presence with `async` calls that hop onto the loop through a
/// `uv_async_t` (`LoopInbox`) — the loop never waits for your code, nor your code for a lock held
/// by the loop.
///
/// ```swift
/// let node = EmbeddedNode(configuration: configuration)
/// node.onSend("/app/greet") { call, node in
///     try? await node.reply(to: call, destination: "/queue/greetings", body: "hello \(call.sender.user)")
/// }
/// node.onSubscribe("/app/time") { _ in EmbeddedMessage("12:00") }
/// try await node.start()
/// try await node.publish("/topic/news", body: "started")
/// ```
public final class EmbeddedNode: Sendable {
    public typealias SendHandler = @Sendable (ApplicationCall, EmbeddedNode) async -> Void
    public typealias SubscribeHandler = @Sendable (ApplicationCall) async -> EmbeddedMessage?

    /// The ports the node listens on (useful with port 0).
    public struct Ports: Sendable, Equatable {
        public var webSocket: Int
        public var stomp: Int?
    }

    private let configuration: NodeConfiguration
    private let logger: Logger
    private let state = Locked(State())

    struct State {
        var sendHandlers: [String: SendHandler] = [:]
        var subscribeHandlers: [String: SubscribeHandler] = [:]
        var inbox: LoopInbox<LoopSide>?
        var started = false
        var stopped: CheckedContinuation<Void, Never>?
        var hasStopped = false
    }

    public init(configuration: NodeConfiguration = .init(), logger: Logger = Logger(label: "stampede")) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Handlers (register before start)

    /// SENDs to destinations matching `pattern` (an application destination or pattern, e.g.
    /// `/app/chat.**`) call `handler` — on the global concurrent executor, never on the loop.
    public func onSend(_ pattern: String, _ handler: @escaping SendHandler) {
        state.withLock { $0.sendHandlers[pattern] = handler }
    }

    /// SUBSCRIBEs to matching destinations call `handler`; its result is the one MESSAGE that
    /// subscription receives (nil: none).
    public func onSubscribe(_ pattern: String, _ handler: @escaping SubscribeHandler) {
        state.withLock { $0.subscribeHandlers[pattern] = handler }
    }

    // MARK: Lifecycle

    /// Starts the node on its own thread; returns once it listens.
    @discardableResult
    public func start() async throws -> Ports {
        let (sends, subscribes) = try state.withLock { state throws(EmbeddedError) in
            guard !state.started else { throw EmbeddedError("already started") }
            state.started = true
            return (state.sendHandlers, state.subscribeHandlers)
        }
        var configuration = self.configuration
        // Every registered pattern is a route to this process; other /app routes stay as configured.
        for pattern in Set(sends.keys).union(subscribes.keys).sorted() {
            configuration.applications.routes.removeAll { $0.pattern == pattern }
            configuration.applications.routes.append(ApplicationRoute(pattern: pattern, target: .inProcess))
        }
        let logger = self.logger
        let finalConfiguration = configuration
        return try await withCheckedThrowingContinuation { (started: CheckedContinuation<Ports, any Error>) in
            let thread = Thread { [self] in
                self.runLoop(configuration: finalConfiguration, logger: logger, sends: sends, subscribes: subscribes, started: started)
            }
            thread.name = "stampede-loop"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// The loop thread's life: create the node here (its objects are confined to this thread),
    /// run it, and report the end.
    private func runLoop(configuration: NodeConfiguration, logger: Logger, sends: [String: SendHandler], subscribes: [String: SubscribeHandler],
                         started: CheckedContinuation<Ports, any Error>) {
        let loopSide: LoopSide
        do {
            let node = try Node(configuration: configuration, logger: logger)
            loopSide = LoopSide(node: node, owner: self, sends: sends, subscribes: subscribes)
            node.inProcessHandler = loopSide
            try node.start(handleSignals: false)
            let inbox = try LoopInbox(loop: node.loop, context: loopSide)
            loopSide.inbox = inbox
            state.withLock { $0.inbox = inbox }
            started.resume(returning: Ports(webSocket: node.webSocketPort ?? configuration.webSocketPort, stomp: node.stompPort))
        } catch {
            started.resume(throwing: error)
            return
        }
        do { try loopSide.node.run() } catch { logger.error("embedded node did not close cleanly", metadata: ["error": "\(error)"]) }
        let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.inbox = nil
            state.hasStopped = true
            defer { state.stopped = nil }
            return state.stopped
        }
        waiting?.resume()
    }

    /// Shuts the node down (clients get an ERROR and a close) and waits until its loop ended.
    public func stop() async {
        await withCheckedContinuation { (stopped: CheckedContinuation<Void, Never>) in
            let inbox = state.withLock { state -> LoopInbox<LoopSide>? in
                if state.hasStopped || !state.started {
                    stopped.resume()
                    return nil
                }
                state.stopped = stopped
                return state.inbox
            }
            inbox?.post { side in
                side.node.shutdown()
                side.inbox?.close()
                side.inbox = nil
            }
        }
    }

    // MARK: Calls from any thread

    /// Publishes to any destination (`/topic/x` to every subscriber on every node, `/queue/x` to
    /// one, `/user/<name>/...` to every session of the user).
    public func publish(_ destination: String, body: String, headers: [String: String] = [:]) async throws {
        try await route(ApplicationReply(destination: destination, headers: Self.headers(headers), body: Array(body.utf8)))
    }

    /// Sends to every session of `user` (every node): `destination` is the form the user
    /// subscribed to (`/queue/notifications` for `/user/queue/notifications`).
    public func send(toUser user: String, destination: String, body: String, headers: [String: String] = [:]) async throws {
        try await route(ApplicationReply(destination: userDestination(user, destination), headers: Self.headers(headers), body: Array(body.utf8)))
    }

    /// Answers the session that made `call` only (`@SendToUser(broadcast=false)`), on its
    /// subscription to `/user` + `destination`.
    public func reply(to call: ApplicationCall, destination: String, body: String, headers: [String: String] = [:]) async throws {
        try await route(ApplicationReply(
            destination: userDestination(call.sender.user, destination), headers: Self.headers(headers), body: Array(body.utf8),
            toSession: SessionReply(session: call.sender.sessionAddress, subscription: nil)))
    }

    /// Users present in `destination` cluster-wide (`presence.destinations` must watch it).
    public func presence(of destination: String) async throws -> [String] {
        try await onLoop { side, done in
            side.node.presentUsers(in: destination) { done(.success($0)) }
        }
    }

    func answer(_ call: ApplicationCall, with message: EmbeddedMessage) async throws {
        guard case .subscribe(let id) = call.kind else { return }
        try await route(ApplicationReply(
            destination: userDestination(call.sender.user, "/queue/answers"), headers: Self.headers(message.headers), body: message.body,
            toSession: SessionReply(session: call.sender.sessionAddress, subscription: id)))
    }

    private func route(_ reply: ApplicationReply) async throws {
        try await onLoop { side, done in
            do throws(ApplicationRoutingError) {
                try side.node.route(reply)
                done(.success(()))
            } catch {
                done(.failure(EmbeddedError(error.message)))
            }
        }
    }

    /// Runs `work` on the loop thread; it calls `done` once (maybe later, from a callback).
    private func onLoop<T: Sendable>(_ work: @escaping @Sendable (LoopSide, @escaping @Sendable (Result<T, EmbeddedError>) -> Void) -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let inbox = state.withLock { $0.inbox }
            let posted = inbox?.post { side in work(side) { continuation.resume(with: $0.mapError { $0 as any Error }) } } ?? false
            if !posted { continuation.resume(throwing: EmbeddedError("the node is not running")) }
        }
    }

    private func userDestination(_ user: String, _ destination: String) -> String {
        var suffix = Substring(destination)
        while suffix.first == "/" { suffix.removeFirst() }
        return configuration.prefixes.user + user + "/" + suffix
    }

    static func headers(_ headers: [String: String]) -> STOMPHeaders {
        STOMPHeaders(headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}

/// The answer to a SUBSCRIBE (`@SubscribeMapping`).
public struct EmbeddedMessage: Sendable {
    public var body: [UInt8]
    public var headers: [String: String]

    public init(_ body: String, headers: [String: String] = [:]) {
        self.body = Array(body.utf8)
        self.headers = headers
    }
}

public struct EmbeddedError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension ApplicationCall {
    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}
