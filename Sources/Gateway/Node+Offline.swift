internal import Broker
internal import ClusterBus
internal import ClusterRedis
internal import Logging
internal import OfflineMessages
internal import STOMPWire
internal import Admin
internal import FlowControl

/// Offline user messages in the node (`offline.*`): what the store decides, what a subscriber
/// replays, and what waits while it does.
final class OfflineDelivery {
    let settings: OfflineSettings
    let destinations: OfflineDestinations
    /// Set by `Node.startOffline` (the memory store asks the node's broker).
    var store: (any OfflineStore)!
    /// Replays under way per registered destination (`/user/bob/queue/inbox`).
    var replaysPending: [String: Int] = [:]
    /// Live messages for a destination whose replay is under way: delivered after it, so no
    /// live message overtakes a stored one.
    var held: [String: [Envelope]] = [:]
    /// Stored messages handed to subscribers.
    var replayed: UInt64 = 0
    /// Live messages a node received after its subscriber left, kept for the next one.
    var keptAfterLeave: UInt64 = 0
    /// Held live messages dropped because a replay took too long (bounded like a user's store).
    var heldDropped: UInt64 = 0
    var replayFailures: UInt64 = 0
    /// Replays waiting for their subscriber to read most of the last page (resumed on the tick).
    var pacedReplays: [(key: SubscriptionKey, user: String, destination: String, after: String)] = []
    /// Loop time of the store's last upkeep (age limits, dedup ids), at most once a second.
    var lastMaintenance: UInt64 = 0

    init(settings: OfflineSettings, userPrefix: String) {
        self.settings = settings
        destinations = OfflineDestinations(prefixes: settings.prefixes, userPrefix: userPrefix)
    }

    /// Holds `envelope` when a replay of its destination is under way.
    func holds(_ envelope: Envelope) -> Bool {
        guard !replaysPending.isEmpty, replaysPending[envelope.destination] != nil else { return false }
        if held[envelope.destination, default: []].count >= settings.maxMessagesPerUser {
            held[envelope.destination]!.removeFirst()
            heldDropped += 1
        }
        held[envelope.destination, default: []].append(envelope)
        return true
    }
}

extension Node {
    /// Creates the store: Redis streams when the node is in a Redis cluster, memory otherwise.
    func startOffline() {
        guard let offline else { return }
        if let redis = bus as? RedisClusterBus {
            offline.store = RedisOfflineStore(bus: redis, settings: offline.settings)
        } else {
            offline.store = MemoryOfflineStore(
                settings: offline.settings, clock: { [unowned self] in self.now },
                hasSubscriber: { [unowned self] in self.broker.hasUserSubscribers($0) })
        }
        logger.notice("\(offline.store.startupNotice)", metadata: [
            "offline.prefixes": "\(offline.settings.prefixes.joined(separator: ","))",
            "offline.max.messages.per.user": "\(offline.settings.maxMessagesPerUser)",
            "offline.ttl.seconds": "\(offline.settings.ttlSeconds)",
        ])
    }

    /// Offline prefixes must name the user right after `destinations.user-prefix` (checked at
    /// start rather than with the other keys: the two keys are valid alone).
    func offlineStartupRefusal() -> String? {
        let userPrefix = configuration.prefixes.user
        guard let invalid = configuration.offline.prefixes.first(where: { !OfflineDestinations.isValidPrefix($0, userPrefix: userPrefix) }) else { return nil }
        return "offline.prefixes: '\(invalid)' must start with '\(userPrefix)*/' (destinations.user-prefix, then * for the user) and name a destination after it"
    }

    // MARK: SEND

    /// A SEND to an offline destination goes to the store, which deduplicates and then either
    /// delivers it live (some node has a subscriber) or keeps it, in one step. Nil when
    /// `target` is not an offline destination; otherwise true while the store has not answered
    /// (`whenSettled` runs when it does).
    func sendOffline(_ target: SendDestination, headers: STOMPHeaders, body: [UInt8], whenSettled: ((String?) -> Void)?) -> Bool? {
        guard let offline, case .user(let user) = target.route, offline.destinations.user(of: target.name) == user else { return nil }
        let envelope = self.envelope(target.name, headers, body)
        let dedupID = headers.value(named: OfflineSettings.dedupHeader)
        var answered = false
        offline.store.send(envelope, user: user, dedupID: dedupID) { [weak self] outcome in
            answered = true
            self?.offlineSendAnswered(envelope, user: user, outcome: outcome)
            if case .failed(let reason) = outcome { whenSettled?("offline message not kept: \(reason)") } else { whenSettled?(nil) }
        }
        return !answered
    }

    private func offlineSendAnswered(_ envelope: Envelope, user: String, outcome: OfflineSendOutcome) {
        switch outcome {
        case .live(let receivers):
            // Redis counted this node among the receivers if it holds the destination's channel.
            let holdsChannel = interests.isHeld(.destination(envelope.destination))
            deliverOfflineLive(envelope, user: user, otherReceivers: receivers - (holdsChannel ? 1 : 0))
        case .stored, .duplicate:
            break
        case .failed(let reason):
            logger.warning("offline message not kept", metadata: ["stomp.destination": "\(envelope.destination)", "reason": "\(reason)"])
            deliverOfflineLive(envelope, user: user, otherReceivers: 1)  // local subscribers still get it; nothing to keep it in
        }
    }

    /// A live message of an offline destination for this node's subscribers; kept for the next
    /// subscriber when none is here and no other node received it (its subscriber just left).
    func deliverOfflineLive(_ envelope: Envelope, user: String, otherReceivers: Int) {
        guard let offline, !offline.holds(envelope) else { return }
        let deliveries = (try? broker.publish(destination: envelope.destination, headers: envelope.headers, body: envelope.body)) ?? []
        if deliveries.isEmpty && otherReceivers <= 0 {
            offline.store.keep(envelope, user: user)
            offline.keptAfterLeave += 1
        }
        dispatch(deliveries)
    }

    /// From `bus(didReceive:)` when no local subscriber took a message: an offline
    /// destination's message is kept (its subscriber here left after the sender's store
    /// decided it was live).
    func keepIfOffline(_ envelope: Envelope) {
        guard let offline, let user = offline.destinations.user(of: envelope.destination) else { return }
        offline.store.keep(envelope, user: user)
        offline.keptAfterLeave += 1
    }

    // MARK: SUBSCRIBE

    /// A subscription to an offline destination: it takes the destination's own cluster
    /// channel (so the store sees a receiver), then replays what was kept, then live messages
    /// held meanwhile. Nil when `key` is not such a subscription.
    func subscribeOffline(_ key: SubscriptionKey, for connection: ClientConnection) -> OperationOutcome? {
        guard let offline, let registration = broker.userRegistration(of: key),
              let user = offline.destinations.user(of: registration.destination) else { return nil }
        let destination = registration.destination
        let route = ClusterRoute.topic(destination, isPattern: false)
        subscriptionRoutes[key.session, default: [:]][key.id] = route
        offline.replaysPending[destination, default: 0] += 1
        // The channel first, then the read: a message the store decides on after Redis
        // confirmed the channel is published to this node (and held during the replay); one
        // decided before is in the store when it is read.
        let outcome = joinCluster(route, for: connection) { [weak self] in
            self?.replayOffline(key, user: user, destination: destination, after: nil)
        }
        if outcome == .done { replayOffline(key, user: user, destination: destination, after: nil) }
        return outcome
    }

    private func replayOffline(_ key: SubscriptionKey, user: String, destination: String, after: String?) {
        guard let offline else { return }
        offline.store.load(user: user, destination: destination, after: after, max: offline.settings.replayBatch) { [weak self] result in
            guard let self, let offline = self.offline else { return }
            switch result {
            case .success(let page):
                // A subscription gone meanwhile leaves the rest stored for the next one.
                guard let registration = self.broker.userRegistration(of: key) else { break }
                let publications = page.messages.map { stored in
                    Publication(destination: stored.envelope.destination, headers: stored.envelope.headers, body: stored.envelope.body,
                                messageID: stored.envelope.messageID, clusterEntry: stored.id, redelivered: stored.envelope.redelivered)
                }
                self.dispatch(self.broker.deliverStored(publications, to: key))
                offline.replayed += UInt64(publications.count)
                if registration.ackMode == .auto, !page.messages.isEmpty {
                    offline.store.remove(user: user, ids: page.messages.map(\.id))
                }
                if let next = page.next {
                    // Paced: a subscriber still holding a quarter of its output limit reads
                    // the next page later, so a long replay does not make it a slow consumer.
                    if self.replayMustWait(key) {
                        offline.pacedReplays.append((key, user, destination, next))
                    } else {
                        self.replayOffline(key, user: user, destination: destination, after: next)
                    }
                    return
                }
            case .failure(let error):
                offline.replayFailures += 1
                self.logger.warning("offline messages could not be read", metadata: ["stomp.destination": "\(destination)", "reason": "\(error.message)"])
            }
            self.finishReplay(destination)
        }
    }

    private func replayMustWait(_ key: SubscriptionKey) -> Bool {
        guard let connection = connections[key.session] else { return false }
        return connection.heldBytes > slowConsumerRule.limitBytes / 4
    }

    /// On the tick: paced replays whose subscriber caught up go on; those whose subscription
    /// ended stop (what is left stays stored).
    func resumePacedReplays() {
        guard let offline, !offline.pacedReplays.isEmpty else { return }
        let waiting = offline.pacedReplays
        offline.pacedReplays.removeAll()
        for replay in waiting {
            if broker.userRegistration(of: replay.key) == nil {
                finishReplay(replay.destination)
            } else if replayMustWait(replay.key) {
                offline.pacedReplays.append(replay)
            } else {
                replayOffline(replay.key, user: replay.user, destination: replay.destination, after: replay.after)
            }
        }
    }

    private func finishReplay(_ destination: String) {
        guard let offline, let pending = offline.replaysPending[destination] else { return }
        if pending > 1 {
            offline.replaysPending[destination] = pending - 1
            return
        }
        offline.replaysPending[destination] = nil
        for envelope in offline.held.removeValue(forKey: destination) ?? [] {
            guard let user = offline.destinations.user(of: destination) else { continue }
            deliverOfflineLive(envelope, user: user, otherReceivers: 0)
        }
    }

    // MARK: ACK

    /// Deletes from the store the stored messages clients ACKed.
    func removeAckedOfflineMessages() {
        guard let offline else { return }
        let settled = broker.takeSettledOfflineEntries()
        guard !settled.isEmpty else { return }
        var byUser: [String: [String]] = [:]
        for entry in settled {
            guard let user = offline.destinations.user(of: entry.queue) else { continue }
            byUser[user, default: []].append(entry.entry)
        }
        for (user, ids) in byUser { offline.store.remove(user: user, ids: ids) }
    }

    // MARK: Metrics

    var offlineMetrics: [MetricSample] {
        guard let offline, let store = offline.store else { return [] }
        let counts = store.counters
        let help = "Offline user messages, by what happened to them."
        return [
            ("stored", counts.stored), ("replayed", offline.replayed), ("removed", counts.removed),
            ("dropped_overflow", counts.droppedOverflow), ("expired", counts.expired), ("duplicate", counts.duplicates),
            ("failed", counts.failed), ("kept_after_leave", offline.keptAfterLeave), ("held_dropped", offline.heldDropped),
        ].map { MetricSample(name: "stampede_offline_messages_total", help: help, type: .counter, labels: [("result", $0.0)], value: Double($0.1)) }
        + [MetricSample(name: "stampede_offline_replay_failures_total", help: "Replays of kept messages that could not read the store.",
                        type: .counter, value: Double(offline.replayFailures))]
    }
}
