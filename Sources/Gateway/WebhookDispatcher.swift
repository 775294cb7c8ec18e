internal import Admin
internal import Applications
internal import BuildInfo
internal import HTTPClient
internal import Logging
internal import UVLoop
internal import Webhooks

/// Counters of webhook calls and hooks, exported on /metrics.
struct WebhookCounters: Equatable {
    /// Application calls handed to a webhook route.
    var calls: UInt64 = 0
    /// Calls whose backend answered 2xx (its messages routed).
    var succeeded: UInt64 = 0
    /// Calls answered with an ERROR: refused by the backend or an invalid answer.
    var refused: UInt64 = 0
    /// Calls answered with an ERROR after the last attempt failed.
    var exhausted: UInt64 = 0
    /// Calls answered with an ERROR at once: the line was full.
    var rejected: UInt64 = 0
    /// HTTP attempts (first tries and retries).
    var attempts: UInt64 = 0
    var retries: UInt64 = 0
    var eventsSent: UInt64 = 0
    var eventsFailed: UInt64 = 0
    var eventsDropped: UInt64 = 0
    var connectAccepted: UInt64 = 0
    var connectRefused: UInt64 = 0
}

/// The node's HTTP side towards backends: application calls of webhook routes (bounded
/// concurrency, retries with backoff, ERROR to the sender when they are used up), the connect
/// hook, and session event notifications. The formats and policies are `Webhooks`' (pure); this
/// is the wiring to `HTTPClient` and loop timers. Loop thread only.
final class WebhookDispatcher: ApplicationWebhookDispatcher {
    private struct CallJob {
        var call: ApplicationCall
        var url: String
        var attempt: Int
        /// Monotonic ns when the current attempt started.
        var startedAt: UInt64 = 0
    }

    private let loop: EventLoop
    private let client: HTTPClient
    private let settings: WebhookSettings
    private let policy: WebhookRetryPolicy
    private let userPrefix: String
    private let logger: Logger
    private weak var node: (any ApplicationReplyRouting)?
    private var line: WebhookLine<CallJob>
    private var events: WebhookLine<[UInt8]>
    private let eventsURL: String?
    private var backoffTimers: [ObjectIdentifier: Timer] = [:]
    private(set) var counters = WebhookCounters()
    /// How long attempts took (`stampede_webhook_duration_seconds`).
    private(set) var attemptDurations = LatencyHistogram(bounds: LatencyHistogram.backendBounds)
    private var isClosed = false

    init(loop: EventLoop, settings: WebhookSettings, userPrefix: String, eventsURL: String?, eventsMaxQueued: Int, logger: Logger) {
        self.loop = loop
        self.client = HTTPClient(loop: loop, maxResponseBytes: settings.maxResponseBytes)
        self.settings = settings
        self.policy = WebhookRetryPolicy(settings)
        self.userPrefix = userPrefix
        self.logger = logger
        self.line = WebhookLine(maxConcurrent: settings.maxConcurrent, maxQueued: settings.maxQueued)
        self.events = WebhookLine(maxConcurrent: max(1, settings.maxConcurrent / 4), maxQueued: eventsMaxQueued)
        self.eventsURL = eventsURL
    }

    var inFlight: Int { line.inFlight }
    var queued: Int { line.queuedCount }

    func attach(to node: any ApplicationReplyRouting) {
        self.node = node
    }

    // MARK: Application calls

    func dispatch(_ call: ApplicationCall, to webhook: WebhookTarget) {
        counters.calls += 1
        admit(CallJob(call: call, url: webhook.url, attempt: 1), retry: false)
    }

    private func admit(_ job: CallJob, retry: Bool) {
        guard !isClosed else { return }
        switch line.submit(job, retry: retry) {
        case .start(let job):
            start(job)
        case .queued:
            break
        case .rejected(let job):
            counters.rejected += 1
            node?.fail(job.call, message: "application backend busy: too many webhook calls waiting (webhooks.max-queued \(settings.maxQueued))")
        }
    }

    private func start(_ job: CallJob) {
        var job = job
        job.startedAt = EventLoop.monotonicNanoseconds
        counters.attempts += 1
        let request = HTTPClientRequest(
            method: "POST", url: job.url,
            headers: [("Content-Type", "application/json"), ("User-Agent", BuildInfo.serverName)],
            body: WebhookFormat.requestBody(for: job.call),
            timeoutMilliseconds: settings.timeoutMilliseconds, connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds)
        client.send(request) { [weak self] result in self?.finished(job, result) }
    }

    private func finished(_ job: CallJob, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        if case .failure(.cancelled) = result { return }
        attemptDurations.observe(nanoseconds: EventLoop.monotonicNanoseconds &- job.startedAt)
        if let next = line.finished() { start(next) }
        let outcome: WebhookFormat.Outcome
        switch result {
        case .success(let response):
            outcome = WebhookFormat.outcome(status: response.status, body: response.body, call: job.call, userPrefix: userPrefix)
        case .failure(let error):
            outcome = .retry(error.message)
        }
        switch outcome {
        case .route(let replies):
            counters.succeeded += 1
            for reply in replies {
                do {
                    try node?.route(reply)
                } catch {
                    counters.refused += 1
                    node?.fail(job.call, message: "the application answered with a message that cannot be routed: \(error.message)")
                    return
                }
            }
        case .refuse(let message):
            counters.refused += 1
            node?.fail(job.call, message: message)
        case .retry(let reason):
            guard let delay = policy.delay(afterAttempt: job.attempt) else {
                counters.exhausted += 1
                logger.info("webhook call failed", metadata: [
                    "app.route": "\(job.call.route.pattern)", "attempts": "\(job.attempt)", "reason": "\(reason)",
                ])
                node?.fail(job.call, message: "application backend unavailable: webhook failed after \(job.attempt) attempt\(job.attempt == 1 ? "" : "s") (\(reason))")
                return
            }
            counters.retries += 1
            var next = job
            next.attempt += 1
            let timer = Timer(loop: loop)
            let key = ObjectIdentifier(timer)
            backoffTimers[key] = timer
            timer.start(afterMilliseconds: UInt64(delay)) { [weak self] in
                guard let self else { return }
                self.backoffTimers.removeValue(forKey: key)?.close()
                self.admit(next, retry: true)
            }
        }
    }

    // MARK: Connect hook

    /// Asks `url` whether a CONNECT may proceed; `completion` runs on the loop (not when closed).
    func authenticate(_ request: HookFormat.ConnectRequest, url: String, completion: @escaping (HookFormat.ConnectDecision) -> Void) {
        guard !isClosed else { return }
        let http = HTTPClientRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json"), ("User-Agent", BuildInfo.serverName)],
            body: request.body, timeoutMilliseconds: settings.timeoutMilliseconds, connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds)
        client.send(http) { [weak self] result in
            guard let self else { return }
            let decision: HookFormat.ConnectDecision
            switch result {
            case .failure(.cancelled): return
            case .failure(let error):
                self.logger.info("connect hook failed", metadata: ["reason": "\(error.message)"])
                decision = .refuse("authentication unavailable")
            case .success(let response):
                decision = HookFormat.connectDecision(status: response.status, body: response.body)
            }
            if case .accept = decision { self.counters.connectAccepted += 1 } else { self.counters.connectRefused += 1 }
            completion(decision)
        }
    }

    // MARK: Events

    /// Queues an event notification (fire and forget); dropped and counted when the line is full.
    func notify(_ body: [UInt8]) {
        guard !isClosed, eventsURL != nil else { return }
        switch events.submit(body) {
        case .start(let body): send(event: body)
        case .queued: break
        case .rejected: counters.eventsDropped += 1
        }
    }

    private func send(event body: [UInt8]) {
        guard let url = eventsURL else { return }
        let request = HTTPClientRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json"), ("User-Agent", BuildInfo.serverName)],
            body: body, timeoutMilliseconds: settings.timeoutMilliseconds, connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds)
        client.send(request) { [weak self] result in
            guard let self else { return }
            if case .failure(.cancelled) = result { return }
            if case .success(let response) = result, (200..<300).contains(response.status) {
                self.counters.eventsSent += 1
            } else {
                self.counters.eventsFailed += 1
            }
            if let next = self.events.finished() { self.send(event: next) }
        }
    }

    /// Cancels what is in flight (no ERRORs: the node is going away) and closes the handles.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        for timer in backoffTimers.values { timer.close() }
        backoffTimers.removeAll()
        _ = line.drain()
        _ = events.drain()
        client.close()
    }
}
