/// What a full pending buffer does with one more message.
public enum OverflowPolicy: String, Sendable {
    /// Drop the oldest pending message to make room (counted in `droppedCount`).
    case dropOldest = "drop-oldest"
    /// Refuse the new message.
    case rejectNew = "reject-new"
}

/// Competing consumers for one queue destination: round robin over consumers with capacity,
/// bounded pending buffer, un-ACKed tracking, prefetch, redelivery.
///
/// Every message goes to exactly one consumer. A consumer that does not acknowledge always has
/// capacity; one that does has capacity while its un-ACKed count is below its prefetch (0 means
/// `maxUnackedPerConsumer`). When no consumer has capacity, messages wait in the pending buffer
/// and are handed out in FIFO order as capacity appears. Invariant after every call: if the
/// buffer is not empty, no consumer has capacity.
///
/// Messages taken back (NACK, consumer removed) are redelivered, flagged, in their original
/// order: first to other consumers with capacity, the rest to the front of the buffer. A NACKing
/// consumer may get its message back once nobody else can take it (requeue semantics), so a
/// lone consumer is never left idle beside a waiting message.
public struct QueueDispatcher<Consumer: Hashable & Sendable, Message: Sendable>: Sendable {
    /// Identifies one delivery to an acknowledging consumer; unique within this dispatcher.
    public struct DeliveryToken: Hashable, Comparable, Sendable {
        public var rawValue: UInt64
        @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
        @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One message handed to one consumer.
    public struct Assignment: Sendable {
        public var consumer: Consumer
        public var message: Message
        /// Nil for a consumer that does not acknowledge.
        public var token: DeliveryToken?
        /// True if the message was delivered before and taken back.
        public var redelivered: Bool

        @inlinable
        init(consumer: Consumer, message: Message, token: DeliveryToken?, redelivered: Bool) {
            self.consumer = consumer
            self.message = message
            self.token = token
            self.redelivered = redelivered
        }
    }

    /// What `enqueue` did with a message.
    public enum EnqueueOutcome: Sendable {
        case assigned(Assignment)
        case buffered
        /// Buffered after dropping `dropped` older messages (drop-oldest policy).
        case bufferedDroppingOldest(dropped: Int)
        /// Dropped at once: the buffer holds nothing (capacity 0, drop-oldest policy).
        case dropped
        /// Refused: the buffer is full (reject-new policy).
        case rejected
    }

    /// Which outstanding deliveries an ACK or NACK settles.
    public enum AckScope: Sendable {
        /// Only the named delivery (STOMP `client-individual`).
        case single
        /// The named delivery and every older one of the same consumer (STOMP `client`).
        case cumulative
    }

    @usableFromInline
    struct Pending: Sendable {
        @usableFromInline var message: Message
        @usableFromInline var redelivered: Bool

        @inlinable
        init(message: Message, redelivered: Bool) {
            self.message = message
            self.redelivered = redelivered
        }
    }

    @usableFromInline
    struct ConsumerState: Sendable {
        @usableFromInline var acknowledges: Bool
        @usableFromInline var limit: Int
        @usableFromInline var unacked: UnackedLog<Pending>

        @inlinable
        init(acknowledges: Bool, limit: Int) {
            self.acknowledges = acknowledges
            self.limit = limit
            unacked = UnackedLog()
        }

        @inlinable var hasCapacity: Bool { !acknowledges || unacked.count < limit }
    }

    /// Most messages kept while no consumer has capacity.
    public let bufferCapacity: Int
    /// What happens to a message beyond `bufferCapacity`.
    public let overflow: OverflowPolicy
    /// Un-ACKed limit of a consumer whose prefetch is 0, and ceiling of any prefetch.
    public let maxUnackedPerConsumer: Int

    @usableFromInline var order: [Consumer]
    /// `acknowledges` of `order[i]`, kept beside it: an auto-ack consumer always has room, so
    /// handing it a message needs no look-up (and no hash) in `consumers` (issue 13).
    @usableFromInline var orderAcknowledges: [Bool]
    @usableFromInline var consumers: [Consumer: ConsumerState]
    @usableFromInline var cursor: Int
    @usableFromInline var pending: RingBuffer<Pending>
    @usableFromInline var lastToken: UInt64
    @usableFromInline var storedDroppedCount: Int
    @usableFromInline var storedUnackedCount: Int

    /// An empty queue.
    @inlinable
    public init(bufferCapacity: Int, overflow: OverflowPolicy, maxUnackedPerConsumer: Int = .max) {
        self.bufferCapacity = max(0, bufferCapacity)
        self.overflow = overflow
        self.maxUnackedPerConsumer = max(1, maxUnackedPerConsumer)
        order = []
        orderAcknowledges = []
        consumers = [:]
        cursor = 0
        pending = RingBuffer()
        lastToken = 0
        storedDroppedCount = 0
        storedUnackedCount = 0
    }

    /// Messages lost to the drop-oldest policy so far.
    @inlinable public var droppedCount: Int { storedDroppedCount }
    /// Deliveries awaiting ACK across all consumers.
    @inlinable public var unackedCount: Int { storedUnackedCount }

    /// Number of messages waiting in the buffer.
    @inlinable public var pendingCount: Int { pending.count }
    /// Number of consumers.
    @inlinable public var consumerCount: Int { order.count }
    /// True with no consumer and nothing pending or outstanding: the queue can be forgotten.
    @inlinable public var isIdle: Bool { order.isEmpty && pending.isEmpty }
    /// The consumers in round-robin order.
    @inlinable public var consumerList: [Consumer] { order }

    /// True if `consumer` is registered.
    @inlinable public func contains(_ consumer: Consumer) -> Bool { consumers[consumer] != nil }

    /// Number of deliveries `consumer` has not acknowledged yet.
    @inlinable public func unackedCount(of consumer: Consumer) -> Int { consumers[consumer]?.unacked.count ?? 0 }

    /// Adds a consumer at the end of the rotation and hands it pending messages it has room for.
    /// `prefetch` bounds its un-ACKed deliveries (0 = `maxUnackedPerConsumer`); it is ignored
    /// when `acknowledges` is false. Adding a consumer already present changes nothing.
    @inlinable public mutating func addConsumer(_ consumer: Consumer, acknowledges: Bool, prefetch: Int = 0) -> [Assignment] {
        guard consumers[consumer] == nil else { return [] }
        let limit = prefetch > 0 ? min(prefetch, maxUnackedPerConsumer) : maxUnackedPerConsumer
        consumers[consumer] = ConsumerState(acknowledges: acknowledges, limit: limit)
        order.append(consumer)
        orderAcknowledges.append(acknowledges)
        var out: [Assignment] = []
        drain(into: &out)
        return out
    }

    /// Removes consumers and redelivers what they had not acknowledged, in delivery order.
    /// All are removed before redelivering, so none of them gets another's messages back.
    @inlinable public mutating func removeConsumers(_ leaving: some Sequence<Consumer>) -> [Assignment] {
        var returned: [UnackedLog<Pending>.Entry] = []
        for consumer in leaving {
            guard let state = consumers.removeValue(forKey: consumer) else { continue }
            let index = order.firstIndex(of: consumer)!
            order.remove(at: index)
            orderAcknowledges.remove(at: index)
            if index < cursor { cursor -= 1 }
            var log = state.unacked
            returned += log.removeAll()
        }
        storedUnackedCount -= returned.count
        // Tokens grow with every delivery, so sorting restores the original delivery order.
        returned.sort { $0.token < $1.token }
        var out: [Assignment] = []
        redeliver(returned.map(\.element.message), excluding: nil, into: &out)
        return out
    }

    /// Removes one consumer; see `removeConsumers`.
    @inlinable public mutating func removeConsumer(_ consumer: Consumer) -> [Assignment] {
        removeConsumers(CollectionOfOne(consumer))
    }

    /// Hands `message` to the next consumer with capacity, or buffers it.
    @inlinable public mutating func enqueue(_ message: consuming Message) -> EnqueueOutcome {
        if pending.isEmpty, let index = nextConsumerWithCapacity(excluding: nil) {
            return .assigned(assign(consume message, redelivered: false, toConsumerAt: index))
        }
        guard pending.count >= bufferCapacity else {
            pending.append(Pending(message: message, redelivered: false))
            return .buffered
        }
        switch overflow {
        case .rejectNew:
            return .rejected
        case .dropOldest:
            guard bufferCapacity > 0 else {
                storedDroppedCount += 1
                return .dropped
            }
            var dropped = 0
            // Redelivered messages may have pushed the buffer past capacity: trim to fit.
            while pending.count >= bufferCapacity {
                _ = pending.popFirst()
                dropped += 1
            }
            storedDroppedCount += dropped
            pending.append(Pending(message: message, redelivered: false))
            return .bufferedDroppingOldest(dropped: dropped)
        }
    }

    /// Acknowledges `token` of `consumer` (and older ones for `.cumulative`), then hands out
    /// pending messages to the freed capacity. Nil if `token` is not outstanding for `consumer`.
    @inlinable public mutating func ack(_ token: DeliveryToken, of consumer: Consumer, scope: AckScope) -> [Assignment]? {
        acknowledge(token, of: consumer, scope: scope)?.assignments
    }

    /// Like `ack`, also returning the acknowledged messages (the cluster layer settles them).
    @inlinable public mutating func acknowledge(_ token: DeliveryToken, of consumer: Consumer, scope: AckScope) -> (assignments: [Assignment], settled: [Message])? {
        guard let settled = takeBack(token, of: consumer, scope: scope) else { return nil }
        var out: [Assignment] = []
        drain(into: &out)
        return (out, settled)
    }

    /// How many more messages the consumers could take right now, beyond those already
    /// waiting; `Int.max` when a consumer does not acknowledge (it always has room).
    @inlinable public var spareCapacity: Int {
        var total = 0
        for consumer in order {
            let state = consumers[consumer]!
            guard state.acknowledges else { return Int.max }
            total += max(0, state.limit - state.unacked.count)
        }
        return max(0, total - pending.count)
    }

    /// Removes and returns the waiting messages (the queue lost its last consumer here and the
    /// cluster layer hands them back to the shared queue).
    @inlinable public mutating func removePending() -> [Message] {
        var out: [Message] = []
        while let next = pending.popFirst() { out.append(next.message) }
        return out
    }

    /// Takes back `token` of `consumer` (and older ones for `.cumulative`) and redelivers them.
    /// Nil if `token` is not outstanding for `consumer`.
    @inlinable public mutating func nack(_ token: DeliveryToken, of consumer: Consumer, scope: AckScope) -> [Assignment]? {
        guard let settled = takeBack(token, of: consumer, scope: scope) else { return nil }
        var out: [Assignment] = []
        redeliver(settled, excluding: consumer, into: &out)
        return out
    }

    /// The oldest outstanding delivery of `consumer` whose message satisfies `predicate`.
    @inlinable public func firstUnacked(of consumer: Consumer, where predicate: (Message) -> Bool) -> DeliveryToken? {
        consumers[consumer]?.unacked.firstToken { predicate($0.message) }.map(DeliveryToken.init(rawValue:))
    }

    /// The messages waiting in the buffer, oldest first.
    @inlinable public var pendingMessages: [Message] { pending.elements.map(\.message) }

    /// Removes the NACKed deliveries and returns their messages, oldest first.
    @inlinable mutating func takeBack(_ token: DeliveryToken, of consumer: Consumer, scope: AckScope) -> [Message]? {
        guard consumers[consumer] != nil else { return nil }
        let settled: [Message]?
        switch scope {
        case .single:
            settled = consumers[consumer]!.unacked.remove(token: token.rawValue).map { [$0.message] }
        case .cumulative:
            settled = consumers[consumer]!.unacked.removeThrough(token: token.rawValue)?.map(\.element.message)
        }
        if let settled { storedUnackedCount -= settled.count }
        return settled
    }

    /// Gives taken-back messages to consumers other than `excluded`, the rest to the front of
    /// the buffer in order, then refills whatever capacity is left.
    @inlinable mutating func redeliver(_ messages: [Message], excluding excluded: Consumer?, into out: inout [Assignment]) {
        var placed = 0
        while placed < messages.count, let index = nextConsumerWithCapacity(excluding: excluded) {
            out.append(assign(messages[placed], redelivered: true, toConsumerAt: index))
            placed += 1
        }
        for message in messages[placed...].reversed() {
            pending.prepend(Pending(message: message, redelivered: true))
        }
        drain(into: &out)
    }

    @inlinable mutating func drain(into out: inout [Assignment]) {
        while !pending.isEmpty, let index = nextConsumerWithCapacity(excluding: nil) {
            let next = pending.popFirst()!
            out.append(assign(next.message, redelivered: next.redelivered, toConsumerAt: index))
        }
    }

    /// Round robin: the first consumer with capacity at or after the cursor.
    @inlinable mutating func nextConsumerWithCapacity(excluding excluded: Consumer?) -> Int? {
        let total = order.count
        guard total > 0 else { return nil }
        if cursor >= total { cursor = 0 }
        for step in 0..<total {
            let index = (cursor + step) % total
            // Read in place: a copy of the consumer cost a retain and release per message.
            if let excluded, order[index] == excluded { continue }
            if !orderAcknowledges[index] || consumers[order[index]]!.hasCapacity {
                cursor = (index + 1) % total
                return index
            }
        }
        return nil
    }

    @inlinable mutating func assign(_ message: consuming Message, redelivered: Bool, toConsumerAt index: Int) -> Assignment {
        let consumer = order[index]
        guard orderAcknowledges[index] else {
            return Assignment(consumer: consumer, message: consume message, token: nil, redelivered: redelivered)
        }
        lastToken += 1
        consumers[consumer]!.unacked.append(token: lastToken, Pending(message: copy message, redelivered: redelivered))
        storedUnackedCount += 1
        return Assignment(consumer: consumer, message: consume message, token: DeliveryToken(rawValue: lastToken), redelivered: redelivered)
    }
}
