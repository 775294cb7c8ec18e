internal import Admin
internal import Broker
internal import ClusterBus
internal import Applications
internal import STOMPSession
internal import STOMPWire
internal import Webhooks

/// Webhooks and hooks: starting the dispatcher, the connect hook, session event notifications
/// and their metrics. The dispatcher does the HTTP; the decisions are `Webhooks`'.
extension Node {
    /// Whether anything in the configuration calls HTTP backends.
    var needsWebhookDispatcher: Bool {
        configuration.connectHookURL != nil || configuration.eventsHookURL != nil
            || configuration.applications.routes.contains { if case .webhook = $0.target { true } else { false } }
    }

    func startWebhooks() {
        guard needsWebhookDispatcher else { return }
        let dispatcher = WebhookDispatcher(
            loop: loop, settings: configuration.webhooks, userPrefix: configuration.prefixes.user,
            eventsURL: configuration.eventsHookURL, eventsMaxQueued: configuration.hookEventsMaxQueued, logger: logger)
        webhooks = dispatcher
        adopt(webhookDispatcher: dispatcher)
    }

    // MARK: Connect hook

    /// Whether a CONNECT waits for the connect hook.
    var hasConnectHook: Bool { configuration.connectHookURL != nil && webhooks != nil }

    /// Asks the connect hook about `frame`; `completion` gets the authenticator that carries its
    /// decision (not called if the node closes first).
    func askConnectHook(_ frame: STOMPFrame, for connection: ClientConnection, completion: @escaping (HookDecisionAuthenticator) -> Void) {
        guard let url = configuration.connectHookURL, let webhooks else { return }
        let request = HookFormat.ConnectRequest(
            node: bus.nodeID, session: SessionAddress(nodeID: bus.nodeID, sessionID: connection.id).description,
            endpoint: connection.endpointName, login: frame["login"], passcode: frame["passcode"],
            headers: frame.headers.map { ($0.name, $0.value) })
        webhooks.authenticate(request, url: url) { decision in
            completion(HookDecisionAuthenticator(decision: decision))
        }
    }

    // MARK: Events

    func notifySessionEvent(_ event: HookFormat.Event, _ connection: ClientConnection) {
        guard let webhooks, configuration.eventsHookURL != nil, configuration.hookEvents.contains(event.name) else { return }
        webhooks.notify(HookFormat.eventBody(
            event, node: bus.nodeID, session: SessionAddress(nodeID: bus.nodeID, sessionID: connection.id).description,
            user: connection.session.principal, endpoint: connection.endpointName, atMilliseconds: Node.wallClockMilliseconds()))
    }

    func notifyDisconnected(_ connection: ClientConnection) {
        notifySessionEvent(.disconnect, connection)
    }

    // MARK: Metrics

    var webhookMetrics: [MetricSample] {
        guard let webhooks else { return [] }
        let counters = webhooks.counters
        let calls = "stampede_webhook_calls_total"
        let callsHelp = "Application calls to webhook routes, by outcome."
        let events = "stampede_hook_events_total"
        let eventsHelp = "Session event notifications, by outcome."
        let connects = "stampede_connect_hook_total"
        let connectsHelp = "CONNECTs decided by the connect hook, by decision."
        return [
            .init(name: calls, help: callsHelp, type: .counter, labels: [("result", "started")], value: Double(counters.calls)),
            .init(name: calls, help: callsHelp, type: .counter, labels: [("result", "ok")], value: Double(counters.succeeded)),
            .init(name: calls, help: callsHelp, type: .counter, labels: [("result", "refused")], value: Double(counters.refused)),
            .init(name: calls, help: callsHelp, type: .counter, labels: [("result", "exhausted")], value: Double(counters.exhausted)),
            .init(name: calls, help: callsHelp, type: .counter, labels: [("result", "rejected")], value: Double(counters.rejected)),
            .init(name: "stampede_webhook_attempts_total", help: "HTTP attempts of webhook calls, retries included.", type: .counter, value: Double(counters.attempts)),
            .init(name: "stampede_webhook_retries_total", help: "Webhook attempts that were retried after a failure.", type: .counter, value: Double(counters.retries)),
            .init(name: "stampede_webhook_in_flight", help: "Webhook calls waiting for their backend's answer.", type: .gauge, value: Double(webhooks.inFlight)),
            .init(name: "stampede_webhook_queued", help: "Webhook calls waiting for a free slot (webhooks.max-concurrent).", type: .gauge, value: Double(webhooks.queued)),
            .init(name: events, help: eventsHelp, type: .counter, labels: [("result", "sent")], value: Double(counters.eventsSent)),
            .init(name: events, help: eventsHelp, type: .counter, labels: [("result", "failed")], value: Double(counters.eventsFailed)),
            .init(name: events, help: eventsHelp, type: .counter, labels: [("result", "dropped")], value: Double(counters.eventsDropped)),
            .init(name: connects, help: connectsHelp, type: .counter, labels: [("decision", "accepted")], value: Double(counters.connectAccepted)),
            .init(name: connects, help: connectsHelp, type: .counter, labels: [("decision", "refused")], value: Double(counters.connectRefused)),
        ]
    }
}

/// The connect hook's decision as an `Authenticator`, so the session's CONNECT handling (version
/// negotiation, heart-beats, CONNECTED) stays exactly as it is.
struct HookDecisionAuthenticator: Authenticator {
    let decision: HookFormat.ConnectDecision

    func authenticate(_ credentials: ConnectCredentials) -> AuthenticationResult {
        switch decision {
        case .accept(let user?, let roles):
            .accepted(Identity(user: user, roles: Set(roles), endpoint: credentials.endpoint))
        case .accept(nil, let roles):
            .accepted(.anonymous(session: credentials.session, roles: Set(roles), endpoint: credentials.endpoint))
        case .refuse(let reason):
            .rejected(reason: reason)
        }
    }
}
