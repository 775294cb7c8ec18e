/// The seam between the node and the webhook client. When an application route's target is a
/// webhook, the node hands the call to `dispatch` and goes on; the dispatcher must never block
/// the loop. Without a dispatcher, a webhook route answers the sender with an ERROR
/// ("webhook routes not available").
///
/// All calls happen on the node's loop thread.
public protocol ApplicationWebhookDispatcher: AnyObject {
    /// Called once when the node adopts the dispatcher: where answers go.
    func attach(to node: any ApplicationReplyRouting)
    /// One SEND or SUBSCRIBE to deliver to `webhook`.
    func dispatch(_ call: ApplicationCall, to webhook: WebhookTarget)
}

/// What the node offers backends (webhook responses, the HTTP API, embedded handlers) to send
/// messages back. Loop thread only.
public protocol ApplicationReplyRouting: AnyObject {
    /// The node's id (compare with `ApplicationSender.nodeID`).
    var nodeID: String { get }
    /// Routes a message: like a SEND to `reply.destination` (topic, queue, `/user/<name>/...`:
    /// every session of the user on every node), or with `toSession` to that one session, or
    /// that one subscription as its answer.
    func route(_ reply: ApplicationReply) throws(ApplicationRoutingError)
    /// The call cannot be answered (webhook failed, timed out, retries exhausted): the sender
    /// gets an ERROR with `message` and the call's receipt, and is disconnected as STOMP requires.
    func fail(_ call: ApplicationCall, message: String)
}

/// Why a reply could not be routed (bad destination, a session reply not to `/user/...`).
public struct ApplicationRoutingError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Application calls handled inside the node's own process (embedding): routes whose target is
/// `.inProcess`. Called on the loop thread; must not block it.
public protocol ApplicationCallHandler: AnyObject {
    func handle(_ call: ApplicationCall)
}
