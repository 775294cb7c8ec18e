/// The deliveries one SEND causes, as the per-message path hands them to the node.
///
/// A topic publication keeps its subscribers (the index's cached array) and the publication,
/// and each `Delivery` is made when the node writes it: no array of deliveries is built and
/// destroyed per publication. Building, copying and destroying that array was the largest cost
/// per fan-out delivery after the write itself (issue 13). A queue message is one delivery
/// or none, so it needs no array either.
public struct Fanout: Sendable {
    /// The topic publication, when there is one; its deliveries go to `subscribers`.
    let publication: Publication?
    let subscribers: [TopicSubscriber]
    /// One per subscriber when some subscriber acknowledges topic messages; else empty.
    let ackIDs: [String?]
    /// A queue message's delivery.
    let single: Delivery?

    static let none = Fanout(publication: nil, subscribers: [], ackIDs: [], single: nil)

    /// A queue message's delivery, moved in.
    init(single delivery: consuming Delivery) {
        publication = nil
        subscribers = []
        ackIDs = []
        single = consume delivery
    }

    private init(publication: Publication?, subscribers: [TopicSubscriber], ackIDs: [String?], single: Delivery?) {
        self.publication = publication
        self.subscribers = subscribers
        self.ackIDs = ackIDs
        self.single = single
    }

    static func topic(_ publication: Publication, _ subscribers: [TopicSubscriber], ackIDs: [String?]) -> Fanout {
        Fanout(publication: publication, subscribers: subscribers, ackIDs: ackIDs, single: nil)
    }

    /// How many deliveries there are.
    public var count: Int { publication == nil ? (single == nil ? 0 : 1) : subscribers.count }

    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with each delivery in order, made just before.
    public func forEach(_ body: (Delivery) -> Void) {
        // Not `if let`: binding the optional copied the delivery (a retain and a release of its
        // publication per queue message, issue 13); the unwrapped field is borrowed.
        if single != nil { return body(single.unsafelyUnwrapped) }
        guard let publication, let first = subscribers.first else { return }
        let hasAckIDs = !ackIDs.isEmpty
        // One Delivery changed in place per subscriber: building a fresh one per subscriber
        // cost a copy and two destructions each (measured, issue 13).
        var delivery = Delivery(
            subscription: first.key, publication: publication, shownDestination: first.shownDestination,
            ackID: hasAckIDs ? ackIDs[0] : nil, redelivered: false)
        body(delivery)
        for index in subscribers.indices.dropFirst() {
            delivery.subscription = subscribers[index].key
            if subscribers[index].shownDestination != nil || subscribers[index - 1].shownDestination != nil {
                delivery.shownDestination = subscribers[index].shownDestination
            }
            if hasAckIDs { delivery.ackID = ackIDs[index] }
            body(delivery)
        }
    }

    /// All of them, in order, as an array (for paths that are not per message).
    public var deliveries: [Delivery] {
        var out: [Delivery] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }
}
