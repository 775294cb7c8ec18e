internal import Admin
internal import STOMPWire
internal import UVLoop

/// The latency histograms of `/metrics` and what they cost on the message path.
struct LatencyMetrics {
    /// From a publication's arrival on the node (a client's SEND, an API or service message, or a
    /// message from another node) to the end of the flush pass that handed it to the local
    /// subscribers' sockets. Sampled: 1 in `every` publications.
    var localDelivery = LatencyHistogram(bounds: LatencyHistogram.deliveryBounds)
    var clusterDelivery = LatencyHistogram(bounds: LatencyHistogram.deliveryBounds)
    /// `/app` round trips as the client sees them, from the call to the answer delivered to its
    /// session: SENDs carrying `correlation-id` answered with the same `correlation-id`, and
    /// SUBSCRIBEs answered on their subscription.
    var appSend = LatencyHistogram(bounds: LatencyHistogram.backendBounds)
    var appSubscribe = LatencyHistogram(bounds: LatencyHistogram.backendBounds)
    /// `admin.latency-sample-every`; 0: delivery sampling off.
    let every: Int
    /// Publications left until the next sample (stays 0 when off).
    var countdown: Int
    /// Samples waiting for the end of this turn's flush pass.
    var pending: [(start: UInt64, cluster: Bool)] = []

    init(every: Int) {
        self.every = every
        self.countdown = every
    }

    /// Requests without an answer a session may have timed at once; older ones are dropped.
    static let maxAwaitedPerSession = 16
}

extension Node {
    /// Nonzero (the start, monotonic ns) for 1 in `admin.latency-sample-every` publications: one
    /// decrement and compare for the others.
    @inline(__always)
    func beginDeliverySample() -> UInt64 {
        guard latency.countdown > 0 else { return 0 }
        latency.countdown -= 1
        guard latency.countdown == 0 else { return 0 }
        latency.countdown = latency.every
        return EventLoop.monotonicNanoseconds
    }

    /// Times the sample until this turn's flush pass, if the publication reached a local subscriber.
    func endDeliverySample(_ start: UInt64, cluster: Bool, deliveredBefore: UInt64) {
        guard counters.messagesOut > deliveredBefore else { return }
        if latency.pending.isEmpty {
            loop.observeNextFlush { [weak self] in self?.recordFlushedSamples() }
        }
        latency.pending.append((start, cluster))
    }

    private func recordFlushedSamples() {
        let now = EventLoop.monotonicNanoseconds
        for sample in latency.pending {
            let elapsed = now &- sample.start
            if sample.cluster { latency.clusterDelivery.observe(nanoseconds: elapsed) } else { latency.localDelivery.observe(nanoseconds: elapsed) }
        }
        latency.pending.removeAll(keepingCapacity: true)
    }

    // MARK: /app round trips

    static let correlationHeader = "correlation-id"

    /// A SEND to `/app` that carries a `correlation-id`: its answer will be timed.
    func noteApplicationRequest(headers: STOMPHeaders, from connection: ClientConnection) {
        guard let correlation = headers.value(named: Self.correlationHeader) else { return }
        if connection.awaitedAnswers.count >= LatencyMetrics.maxAwaitedPerSession { connection.awaitedAnswers.removeFirst() }
        connection.awaitedAnswers.append((correlation, EventLoop.monotonicNanoseconds))
    }

    /// An answer delivered to `connection`: observes the request it answers, if it was timed.
    func noteApplicationAnswer(headers: STOMPHeaders, to connection: ClientConnection) {
        guard !connection.awaitedAnswers.isEmpty,
              let correlation = headers.value(named: Self.correlationHeader),
              let index = connection.awaitedAnswers.firstIndex(where: { $0.correlation == correlation }) else { return }
        let started = connection.awaitedAnswers.remove(at: index).startedAt
        latency.appSend.observe(nanoseconds: EventLoop.monotonicNanoseconds &- started)
    }

    /// The one answer to an `/app` SUBSCRIBE made at `calledAt`.
    func noteSubscriptionAnswer(calledAt: UInt64) {
        latency.appSubscribe.observe(nanoseconds: EventLoop.monotonicNanoseconds &- calledAt)
    }

    /// The histograms as `/metrics` lines.
    var latencyMetrics: [MetricSample] {
        let delivery = "Seconds from a publication's arrival on the node to the flush that handed it to local subscribers' sockets, 1 in admin.latency-sample-every publications."
        let app = "Seconds from an /app call to its answer delivered to the caller (SENDs with correlation-id, SUBSCRIBEs answered on their subscription)."
        var samples = latency.localDelivery.samples(name: "stampede_delivery_latency_seconds", help: delivery, labels: [("source", "local")])
        samples += latency.clusterDelivery.samples(name: "stampede_delivery_latency_seconds", help: delivery, labels: [("source", "cluster")])
        samples += latency.appSend.samples(name: "stampede_app_round_trip_seconds", help: app, labels: [("kind", "send")])
        samples += latency.appSubscribe.samples(name: "stampede_app_round_trip_seconds", help: app, labels: [("kind", "subscribe")])
        if let webhooks {
            samples += webhooks.attemptDurations.samples(name: "stampede_webhook_duration_seconds",
                                                         help: "Seconds one webhook attempt took, from the request to its answer or failure.")
        }
        return samples
    }
}
