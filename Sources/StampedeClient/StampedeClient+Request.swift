public import STOMPClientSession
internal import STOMPWire

extension StampedeClient {
    /// A request/reply round trip to an `/app` destination (issue 7): SEND with a fresh
    /// `correlation-id` and `reply-to` (the options' `replyDestination`, `/user/queue/replies` by
    /// default), then the MESSAGE on that destination carrying the same `correlation-id`.
    ///
    /// The service answers with a SEND to `/user/<app-user>/queue/replies` with
    /// `reply-to-session: <app-session>` (only this session gets it) and the request's
    /// `correlation-id`. The reply destination is subscribed once, on the first request; it is a
    /// `/user` destination, so the session needs a user (a login).
    public func request(_ body: [UInt8], to destination: String, headers: [String: String] = [:], timeout: Duration = .seconds(10)) async throws(StampedeClientError) -> StampedeMessage {
        try await ensureReplySubscription()
        let correlation = "c" + nextReceipt()
        var headers = headers
        headers["correlation-id"] = correlation
        headers["reply-to"] = options.replyDestination
        let outgoing = OutgoingSend(destination: destination, headers: headers.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }, body: body)
        let timeoutTask = Task {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self.requestTimedOut(correlation)
        }
        defer { timeoutTask.cancel() }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                requestWaiters[correlation] = continuation
                do {
                    apply(try session.send(outgoing, now: now))
                } catch {
                    requestWaiters.removeValue(forKey: correlation)?.resume(throwing: error)
                }
            }
        } catch {
            throw error as? StampedeClientError ?? .transport("\(error)")
        }
    }

    /// A request with a UTF-8 text body.
    public func request(_ text: String, to destination: String, headers: [String: String] = [:], timeout: Duration = .seconds(10)) async throws(StampedeClientError) -> StampedeMessage {
        try await request(Array(text.utf8), to: destination, headers: headers, timeout: timeout)
    }

    private func ensureReplySubscription() async throws(StampedeClientError) {
        guard replySubscriptionID == nil else { return }
        let id = "stampede-replies"
        replySubscriptionID = id
        let subscription = ClientSubscription(id: id, destination: options.replyDestination, ack: .auto)
        let receipt = session.isConnected ? nextReceipt() : nil
        do {
            try await perform(receipt: receipt) { session, now in try session.subscribe(subscription, receipt: receipt, now: now) }
        } catch {
            replySubscriptionID = nil
            throw error
        }
    }

    private func requestTimedOut(_ correlation: String) {
        requestWaiters.removeValue(forKey: correlation)?.resume(throwing: StampedeClientError.timeout)
    }
}
