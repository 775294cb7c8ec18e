public import ClusterBus
internal import RedisClient

/// Shared queues on Redis streams: XADD to enqueue, XREADGROUP to take (each entry goes to one
/// consumer = one node), XACK + XDEL to settle, and for requeue a fresh XADD flagged
/// redelivered. A dead node's pending entries are claimed and requeued by the survivor that
/// won its cleanup.
extension RedisClusterBus {
    public func setQueueInterest(_ queue: String, active: Bool) {
        let channel = keys.queueNotifyChannel(queue)
        guard active else { return subscriber.unsubscribe(channel) }
        createGroup(queue)
        commands.send(["SADD", keys.queues, queue])
        // Once subscribed to the hint channel, look for messages that arrived before it.
        subscriber.subscribe(channel) { [weak self] in self?.delegate?.bus(queueHasMessages: queue) }
    }

    public func enqueue(_ envelope: Envelope, queue: String) {
        append(envelope, queue: queue)
        send(["PUBLISH", keys.queueNotifyChannel(queue), ""].map { Array($0.utf8) })
    }

    public func pull(queue: String, max: Int, completion: @escaping ([QueueEntry]) -> Void) {
        read(queue: queue, max: max, retryAfterCreatingGroup: true, completion: completion)
    }

    public func settle(queue: String, entryIDs: [String]) {
        guard !entryIDs.isEmpty else { return }
        let stream = keys.queueStream(queue)
        commands.send(["XACK", stream, RedisKeys.group] + entryIDs)
        commands.send(["XDEL", stream] + entryIDs)
    }

    public func requeue(queue: String, entries: [QueueEntry]) {
        guard !entries.isEmpty else { return }
        for entry in entries {
            var envelope = entry.envelope
            envelope.redelivered = true
            append(envelope, queue: queue)
        }
        settle(queue: queue, entryIDs: entries.map(\.id))
        send(["PUBLISH", keys.queueNotifyChannel(queue), ""].map { Array($0.utf8) })
    }

    // MARK: Internals

    private func append(_ envelope: Envelope, queue: String) {
        send([
            Array("XADD".utf8), Array(keys.queueStream(queue).utf8), Array("MAXLEN".utf8), Array("~".utf8),
            Array(String(settings.queueCapacity).utf8), Array("*".utf8), Array("e".utf8), envelope.encode(),
        ])
    }

    /// The group reads from the start of the stream, so messages sent before any consumer
    /// existed are kept for the first one. BUSYGROUP (already there) is fine.
    private func createGroup(_ queue: String, then: (() -> Void)? = nil) {
        commands.send(["XGROUP", "CREATE", keys.queueStream(queue), RedisKeys.group, "0", "MKSTREAM"]) { _ in then?() }
    }

    private func read(queue: String, max: Int, retryAfterCreatingGroup: Bool, completion: @escaping ([QueueEntry]) -> Void) {
        let command = ["XREADGROUP", "GROUP", RedisKeys.group, nodeID, "COUNT", String(max), "STREAMS", keys.queueStream(queue), ">"]
        commands.send(command) { [weak self] reply in
            guard let self else { return completion([]) }
            if let error = reply.errorMessage {
                // The stream or group vanished (e.g. Redis restarted without persistence).
                if retryAfterCreatingGroup, error.hasPrefix("NOGROUP") {
                    self.createGroup(queue) { self.read(queue: queue, max: max, retryAfterCreatingGroup: false, completion: completion) }
                } else {
                    completion([])
                }
                return
            }
            completion(self.entries(fromReadReply: reply))
        }
    }

    /// XREADGROUP / XCLAIM replies: `[[stream, [[id, [field, value, …]], …]]]` or `[[id, fields], …]`.
    func entries(fromReadReply reply: RedisReply) -> [QueueEntry] {
        guard let streams = reply.array else { return [] }
        let items: [RedisReply]
        if let first = streams.first?.array, first.count == 2, first[1].array?.first?.array != nil || first[1].array?.isEmpty == true {
            items = streams.flatMap { $0.array?[1].array ?? [] }
        } else {
            items = streams
        }
        return items.compactMap { item -> QueueEntry? in
            guard let parts = item.array, parts.count == 2, let id = parts[0].string, let fields = parts[1].array else { return nil }
            var index = 0
            while index + 1 < fields.count {
                if fields[index].string == "e", let bytes = fields[index + 1].bytes,
                   let envelope = try? Envelope.decode(bytes, maxBytes: settings.maxEnvelopeBytes) {
                    return QueueEntry(id: id, envelope: envelope)
                }
                index += 2
            }
            return nil
        }
    }

    /// Claims what the dead node had taken but not settled, in every queue, and requeues it.
    func cleanUp(deadNode: String) {
        commands.send(["SMEMBERS", keys.queues]) { [weak self] reply in
            guard let self, let queues = reply.array?.compactMap(\.string) else { return }
            for queue in queues {
                let stream = self.keys.queueStream(queue)
                self.commands.send(["XPENDING", stream, RedisKeys.group, "-", "+", "10000", deadNode]) { [weak self] pending in
                    guard let self else { return }
                    let ids = pending.array?.compactMap { $0.array?.first?.string } ?? []
                    guard !ids.isEmpty else {
                        self.commands.send(["XGROUP", "DELCONSUMER", stream, RedisKeys.group, deadNode])
                        return
                    }
                    self.commands.send(["XCLAIM", stream, RedisKeys.group, self.nodeID, "0"] + ids) { [weak self] claimed in
                        guard let self else { return }
                        self.requeue(queue: queue, entries: self.entries(fromReadReply: claimed))
                        self.commands.send(["XGROUP", "DELCONSUMER", stream, RedisKeys.group, deadNode])
                    }
                }
            }
        }
    }
}
