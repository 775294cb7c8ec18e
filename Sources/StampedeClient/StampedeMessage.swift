public import STOMPClientSession
internal import NIOConcurrencyHelpers
public import STOMPWire

/// Every error of the client: a server ERROR is `.server(ServerError)` carrying its `message`.
public typealias StampedeClientError = ClientSessionError

/// A MESSAGE received on a subscription.
public struct StampedeMessage: Sendable {
    /// The frame as received (headers in wire order, body).
    public let frame: STOMPFrame
    /// The connection it came on: ACK/NACK of an earlier connection fail (the server redelivers).
    let epoch: Int

    public var destination: String { frame["destination"] ?? "" }
    public var subscription: String { frame["subscription"] ?? "" }
    public var messageID: String { frame["message-id"] ?? "" }
    public var headers: [STOMPHeader] { Array(frame.headers) }
    public var body: [UInt8] { frame.body }
    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: frame.body, as: UTF8.self) }
    /// Whether the server delivers this message again (`redelivered:true`, queues).
    public var isRedelivered: Bool { frame["redelivered"] == "true" }

    /// The first header with this name.
    public subscript(_ header: String) -> String? { frame[header] }
}

/// The messages of one subscription, in order; ends when unsubscribed or when the client closes
/// (throwing the reason if it failed). Survives reconnects: the client resubscribes.
public struct StampedeSubscription: AsyncSequence, Sendable {
    public typealias Element = StampedeMessage

    /// The STOMP subscription id.
    public let id: String
    public let destination: String
    public let ack: AckMode
    /// The messages arrive in batches: all that one burst from the socket brought for this
    /// subscription. Handing them over one by one resumed the reading task once per message,
    /// which bounded one subscription at a few tens of thousands of messages/s (issue 14).
    let batches: AsyncThrowingStream<[StampedeMessage], any Error>
    /// The batch being read and how far: shared by every iterator of this subscription, so
    /// a loop that stops mid-batch leaves the rest to the next loop, as a stream of single
    /// messages would.
    let current: NIOLockedValueBox<Cursor>

    struct Cursor {
        var batch: [StampedeMessage] = []
        var index = 0

        mutating func take() -> StampedeMessage? {
            guard index < batch.count else { return nil }
            index += 1
            return batch[index - 1]
        }
    }

    init(id: String, destination: String, ack: AckMode, batches: AsyncThrowingStream<[StampedeMessage], any Error>) {
        self.id = id
        self.destination = destination
        self.ack = ack
        self.batches = batches
        self.current = NIOLockedValueBox(Cursor())
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(batches: batches.makeAsyncIterator(), current: current)
    }

    /// Returns the messages of a batch without suspending, and waits only between batches.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var batches: AsyncThrowingStream<[StampedeMessage], any Error>.AsyncIterator
        let current: NIOLockedValueBox<Cursor>

        public mutating func next() async throws -> StampedeMessage? {
            while true {
                if let message = current.withLockedValue({ $0.take() }) { return message }
                guard let batch = try await batches.next() else { return nil }
                current.withLockedValue { $0 = Cursor(batch: batch) }
            }
        }

        /// `next()` on the caller's actor (what `for try await` calls): the plain `next()`
        /// left the caller's actor and came back for every message, two thread switches each.
        @available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, *)
        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws(any Error) -> StampedeMessage? {
            while true {
                if let message = current.withLockedValue({ $0.take() }) { return message }
                guard let batch = try await batches.next(isolation: actor) else { return nil }
                current.withLockedValue { $0 = Cursor(batch: batch) }
            }
        }
    }
}

/// An open transaction (BEGIN sent); pass it to `send`/`ack`, then `commit` or `abort`.
public struct StampedeTransaction: Sendable, Hashable {
    public let id: String
}
