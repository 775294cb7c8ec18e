public import Admin
internal import STOMPWire
internal import Broker
internal import ClusterBus
internal import FoundationEssentials
internal import Logging
internal import UVLoop
internal import LogOutput
internal import WebSocketWire
internal import STOMPSession
internal import FlowControl
internal import Applications

/// What the admin endpoint shows: the cluster from the bus's node reports, this node's
/// readiness and its Prometheus metrics.
extension Node: AdminDataSource {
    public func adminNodes(_ completion: @escaping (Result<[AdminNodeView], AdminError>) -> Void) {
        bus.clusterView { result in
            let now = Node.wallClockMilliseconds()
            completion(result.map { reports in
                reports.map { report in
                    AdminNodeView(
                        id: report.id, address: report.address,
                        status: report.redis == BusLinkState.degraded("").label ? "degraded" : "up",
                        version: report.version,
                        startedAt: Date(timeIntervalSince1970: Double(report.startedAt) / 1000).formatted(.iso8601),
                        uptimeSeconds: Int((now - report.startedAt) / 1000),
                        connections: report.connections, subscriptions: report.subscriptions,
                        messagesInPerSecond: report.messagesInPerSecond, messagesOutPerSecond: report.messagesOutPerSecond,
                        lastHeartbeatAgeMilliseconds: Int(max(0, now - report.reportedAt)), redis: report.redis)
                }
            }.mapError { AdminError(status: 503, message: "cluster view unavailable: \($0.message)") })
        }
    }

    public func adminDestinations(_ completion: @escaping (Result<[AdminDestinationView], AdminError>) -> Void) {
        mergedReports(\.destinations, completion) { AdminDestinationView(destination: $0, nodes: $1, subscribers: $1.values.reduce(0, +)) }
    }

    public func adminUsers(_ completion: @escaping (Result<[AdminUserView], AdminError>) -> Void) {
        mergedReports(\.users, completion) { AdminUserView(user: $0, sessions: $1.values.reduce(0, +), nodes: $1) }
    }

    /// Merges one per-node table of every live node's report into name → (node → count).
    private func mergedReports<View>(
        _ table: KeyPath<NodeReport, [String: Int]>,
        _ completion: @escaping (Result<[View], AdminError>) -> Void,
        _ makeView: @escaping (String, [String: Int]) -> View
    ) {
        bus.clusterView { result in
            completion(result.map { reports in
                var merged: [String: [String: Int]] = [:]
                for report in reports {
                    for (name, count) in report[keyPath: table] { merged[name, default: [:]][report.id] = count }
                }
                return merged.keys.sorted().map { makeView($0, merged[$0]!) }
            }.mapError { AdminError(status: 503, message: "cluster view unavailable: \($0.message)") })
        }
    }

    public var adminReadiness: (ready: Bool, status: String) {
        if isShuttingDown { return (false, "shutting down") }
        if case .degraded(let reason) = bus.state { return (false, "degraded: redis unreachable (\(reason))") }
        return (true, "ok")
    }

    public var adminNodeID: String { bus.nodeID }

    /// How this node describes one of its sessions: in its cluster report and its admin view alike.
    func describe(_ connection: ClientConnection, wallNow: Int64) -> ReportedSession {
        let connected = connection.session.state == .connected
        return ReportedSession(
            id: connection.id, user: connected ? connection.session.principal : "", endpoint: connection.endpointName,
            connectedAt: wallNow - Int64(now &- connection.acceptedAt),
            transport: connection.transport.rawValue, peer: connection.clientPeer,
            subscriptions: subscriptionRoutes[connection.id]?.count ?? 0,
            state: !connection.isOpen ? "closing" : (connected ? nil : "connecting"))
    }

    /// This node's sessions live, the others' from their last report.
    public func adminSessions(_ completion: @escaping (Result<[AdminSessionView], AdminError>) -> Void) {
        bus.clusterView { [self] result in
            let wallNow = Node.wallClockMilliseconds()
            var views = connections.sessions.sorted().compactMap { id in
                connections[id].map { AdminSessionView(node: bus.nodeID, session: describe($0, wallNow: wallNow), wallNow: wallNow) }
            }
            // Without the cluster view (Redis unreachable) the local sessions are still listed.
            let reports = ((try? result.get()) ?? []).filter { $0.id != bus.nodeID }.sorted { $0.id < $1.id }
            for report in reports {
                for session in (report.sessions ?? []).sorted(by: { $0.id < $1.id }) {
                    views.append(AdminSessionView(node: report.id, session: session, wallNow: wallNow))
                }
            }
            completion(.success(views))
        }
    }

    public var adminHistory: [AdminRateSample] { history.samples }

    /// Any node's session: this node's ends at once, another's through that node's control
    /// channel (`P:ctl:<node>`), the way the server API disconnects.
    public func adminDisconnect(session id: String, _ completion: @escaping (Result<Void, AdminError>) -> Void) {
        let address = SessionAddress(id) ?? SessionID(id).map { SessionAddress(nodeID: bus.nodeID, sessionID: $0) }
        guard let address else { return completion(.failure(AdminError(status: 404, message: "no such session"))) }
        let reason = "disconnected by an administrator"
        if address.nodeID == bus.nodeID {
            let ended = endSessions(session: address.sessionID, user: nil, reason: reason, by: .administrator)
            return completion(ended > 0 ? .success(()) : .failure(AdminError(status: 404, message: "no such session")))
        }
        bus.clusterView { [self] result in
            guard case .success(let reports) = result else {
                return completion(.failure(AdminError(status: 503, message: "cluster view unavailable")))
            }
            guard reports.contains(where: { $0.id == address.nodeID && ($0.sessions ?? []).contains { $0.id == address.sessionID } }) else {
                return completion(.failure(AdminError(status: 404, message: "no such session")))
            }
            bus.sendControl(ControlMessage.disconnect(session: address.sessionID, user: nil, reason: reason, by: .administrator).encoded, to: address.nodeID)
            completion(.success(()))
        }
    }

    public var adminMetrics: [MetricSample] {
        let stats = broker.stats
        let writes = loop.statistics
        var samples: [MetricSample] = [
            .init(name: "stampede_build_info", help: "Always 1; the labels say which Stampede runs.", type: .gauge,
                  labels: [("version", Node.version)], value: 1),
            .init(name: "stampede_connections", help: "Open client connections.", type: .gauge, value: Double(connections.count)),
            .init(name: "stampede_connections_accepted_total", help: "Client connections accepted.", type: .counter, value: Double(counters.connectionsAccepted)),
            .init(name: "stampede_connections_refused_total", help: "Client connections refused (limit or shutdown).", type: .counter, value: Double(counters.connectionsRefused)),
            .init(name: "stampede_subscriptions", help: "Subscriptions on this node.", type: .gauge, value: Double(stats.subscriptions)),
            .init(name: "stampede_bytes_in_total", help: "Bytes read from clients.", type: .counter, value: Double(counters.bytesIn)),
            .init(name: "stampede_bytes_out_total", help: "Bytes written to clients.", type: .counter, value: Double(writes.tryWriteBytes + writes.writeRequestBytes)),
            .init(name: "stampede_deliveries_total", help: "MESSAGE frames handed to subscribers.", type: .counter, value: Double(counters.messagesOut)),
            .init(name: "stampede_redeliveries_total", help: "Queue messages delivered again after NACK or a lost consumer.", type: .counter, value: Double(stats.redelivered)),
            .init(name: "stampede_queue_messages", help: "Queue messages waiting on this node.", type: .gauge, value: Double(stats.queuedMessages)),
            .init(name: "stampede_unacked_messages", help: "Messages delivered and not yet ACKed.", type: .gauge, value: Double(stats.unackedMessages)),
            .init(name: "stampede_dropped_total", help: "Messages dropped.", type: .counter, labels: [("reason", "queue_overflow")], value: Double(stats.dropped)),
            .init(name: "stampede_dropped_total", help: "Messages dropped.", type: .counter, labels: [("reason", "queue_rejected")], value: Double(stats.rejected)),
            .init(name: "stampede_slow_consumers_total", help: "Clients disconnected for not reading.", type: .counter, value: Double(counters.slowConsumers)),
            .init(name: "stampede_budget_read_pauses_total", help: "Times a connection holding partial frames over its share stopped being read because the node was above the high watermark.", type: .counter, value: Double(counters.budgetReadPauses)),
            .init(name: "stampede_budget_cuts_total", help: "Connections cut because the node's buffered-bytes budget was exhausted (largest first).", type: .counter, value: Double(counters.budgetCuts)),
            .init(name: "stampede_frame_timeouts_total", help: "Connections closed because a started frame did not complete within limits.frame-timeout-ms.", type: .counter, value: Double(counters.frameTimeouts)),
            .init(name: "stampede_publisher_pauses_total", help: "Times a publisher stopped being read because its subscribers were behind.", type: .counter, value: Double(counters.publisherPauses)),
            .init(name: "stampede_publishers_paused", help: "Publishers not being read right now (flow control).", type: .gauge, value: Double(flowPausedPublishers.count)),
            .init(name: "stampede_buffered_bytes", help: "Bytes held for clients, by kind.", type: .gauge, labels: [("kind", "output")], value: Double(loop.memory.outputBytes)),
            .init(name: "stampede_buffered_bytes", help: "Bytes held for clients, by kind.", type: .gauge, labels: [("kind", "inbound")], value: Double(loop.memory.inboundBytes)),
            .init(name: "stampede_buffered_bytes", help: "Bytes held for clients, by kind.", type: .gauge, labels: [("kind", "redis")], value: Double(loop.memory.redisBytes)),
            .init(name: "stampede_buffered_bytes", help: "Bytes held for clients, by kind.", type: .gauge, labels: [("kind", "sockjs")], value: Double(loop.memory.transportBytes)),
            .init(name: "stampede_buffered_bytes_limit", help: "The node's budget for buffered bytes (limits.max-buffered-bytes).", type: .gauge, value: Double(budget.maxBufferedBytes)),
            .init(name: "stampede_memory_trims_total", help: "Times free heap memory was returned to the OS.", type: .counter, value: Double(loop.memory.trims)),
            .init(name: "stampede_errors_sent_total", help: "STOMP ERROR frames sent.", type: .counter, value: Double(counters.errorsSent)),
            .init(name: "stampede_cluster_messages_in_total", help: "Topic and user messages received from other nodes.", type: .counter, value: Double(counters.clusterMessagesIn)),
            .init(name: "stampede_application_calls_total", help: "SENDs and SUBSCRIBEs to application destinations handed to a backend.", type: .counter,
                  value: Double(counters.applicationCalls)),
            .init(name: "stampede_application_replies_total", help: "Backend messages routed to one session or subscription.", type: .counter,
                  value: Double(counters.applicationReplies)),
            .init(name: "stampede_presence_events_total", help: "Presence joins and leaves published.", type: .counter, value: Double(counters.presenceEvents)),
            .init(name: "stampede_cluster_undeliverable_total", help: "Cross-node messages that could not be handed to Redis.", type: .counter, value: Double(bus.undeliverable)),
            .init(name: "stampede_cluster_link_up", help: "1 when the cluster link (Redis) is up or the node is standalone.", type: .gauge, labels: [("state", bus.state.label)],
                  value: { if case .degraded = bus.state { 0 } else { 1 } }()),
        ]
        if bus.isClustered {
            samples.append(.init(name: "stampede_redis_up", help: "1 when both Redis connections are up and the last liveness probe was answered in time.",
                                 type: .gauge, value: bus.state == .connected ? 1 : 0))
            samples.append(.init(name: "stampede_redis_stalled_total", help: "Times Redis stopped answering probes within cluster.redis-timeout-ms while connected.",
                                 type: .counter, value: Double(bus.stalls)))
            samples.append(.init(name: "stampede_redis_pending_bytes", help: "Bytes of commands sent to Redis and not yet answered (part of stampede_buffered_bytes).",
                                 type: .gauge, value: Double(bus.pendingBytes)))
            samples.append(.init(name: "stampede_redis_congested_total", help: "Times the bytes awaiting Redis went over cluster.max-pending-redis-bytes.",
                                 type: .counter, value: Double(bus.congestions)))
        }
        samples.append(.init(name: "stampede_log_lines_suppressed_total", help: "Session log lines left out over log.session-lines-per-second.",
                             type: .counter, value: Double(sessionLineBudget.suppressedTotal)))
        samples += ProcessMetrics.samples()
        for (listener, count) in counters.tlsHandshakesCompleted.sorted(by: { $0.key < $1.key }) {
            samples.append(.init(name: "stampede_tls_handshakes_total", help: "TLS handshakes by listener and result.", type: .counter,
                                 labels: [("listener", listener), ("result", "completed")], value: Double(count)))
        }
        for (listener, count) in counters.tlsHandshakeFailures.sorted(by: { $0.key < $1.key }) {
            samples.append(.init(name: "stampede_tls_handshakes_total", help: "TLS handshakes by listener and result.", type: .counter,
                                 labels: [("listener", listener), ("result", "failed")], value: Double(count)))
        }
        if configuration.usesTLS {
            samples.append(.init(name: "stampede_tls_reloads_total", help: "Certificate reloads (SIGHUP) by result.", type: .counter,
                                 labels: [("result", "ok")], value: Double(counters.tlsReloads)))
            samples.append(.init(name: "stampede_tls_reloads_total", help: "Certificate reloads (SIGHUP) by result.", type: .counter,
                                 labels: [("result", "failed")], value: Double(counters.tlsReloadFailures)))
        }
        samples.append(.init(name: "stampede_authentications_refused_total", help: "Handshakes and CONNECTs refused for their credentials.", type: .counter, value: Double(counters.authenticationsRefused)))
        samples.append(.init(name: "stampede_forged_senders_total", help: "SENDs refused for a user-id header naming another user.", type: .counter, value: Double(counters.forgedSenders)))
        samples.append(.init(name: "stampede_tokens_expired_total", help: "Sessions ended because their token expired.", type: .counter, value: Double(counters.tokensExpired)))
        for limit in ["new_connections", "connections_per_user", "inbound_rate", "inbound_rate_close", "password_checks"] {
            samples.append(.init(name: "stampede_rate_limited_total", help: "Abuse limits tripped, by limit.", type: .counter,
                                 labels: [("limit", limit)], value: Double(counters.rateLimited[limit] ?? 0)))
        }
        for action in ["send", "subscribe"] {
            samples.append(.init(name: "stampede_access_denied_total", help: "SENDs and SUBSCRIBEs refused by the authorization rules.", type: .counter,
                                 labels: [("action", action)], value: Double(counters.accessDenied[action] ?? 0)))
        }
        samples += webhookMetrics
        samples += sockJSMetrics
        samples += latencyMetrics
        samples += offlineMetrics
        for (command, count) in counters.framesInByCommand.nonZero {
            samples.append(.init(name: "stampede_frames_in_total", help: "STOMP frames received, by command.", type: .counter, labels: [("command", command)], value: Double(count)))
        }
        var out = counters.framesOutByCommand
        out[.MESSAGE] += counters.messagesOut
        for (command, count) in out.nonZero {
            samples.append(.init(name: "stampede_frames_out_total", help: "STOMP frames sent, by command.", type: .counter, labels: [("command", command)], value: Double(count)))
        }
        return samples
    }
}

extension AdminSessionView {
    /// The admin view of a session as its node describes it.
    init(node: String, session: ReportedSession, wallNow: Int64) {
        self.init(id: "\(node)/\(session.id)", node: node, user: session.user.isEmpty ? nil : session.user, endpoint: session.endpoint,
                  transport: session.transport, peer: session.peer, state: session.state ?? "connected",
                  connectedSeconds: Int(max(0, wallNow - session.connectedAt) / 1000), subscriptions: session.subscriptions)
    }
}
