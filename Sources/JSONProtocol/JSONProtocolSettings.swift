/// How the plain JSON WebSocket protocol is spelled and bounded: field names (the shape of the
/// Gin/Melody guide by default: `{"type":"chat","to":"user456","content":"Hello!"}`), where rooms
/// and direct messages live among STOMP destinations, and the limits of one connection.
public struct JSONProtocolSettings: Sendable, Equatable {
    public var typeField = "type"
    public var toField = "to"
    public var fromField = "from"
    public var roomField = "room"
    public var contentField = "content"
    /// A room `lobby` is the topic `<roomPrefix>lobby` (`/topic/room.lobby`).
    public var roomPrefix = "/topic/room."
    /// Direct messages: sent to `/user/<id><userDestination>`, received on `/user<userDestination>`.
    public var userDestination = "/queue/messages"
    /// Messages naming neither a room nor a user; empty: such messages are refused.
    public var broadcastDestination = "/topic/broadcast"
    /// The STOMP header carrying the message's `type` both ways, so STOMP clients take part.
    public var typeHeader = "json-type"
    /// Extra top-level fields of a client's message travel in this header (a JSON object).
    public var fieldsHeader = "json-fields"
    /// `type` of messages that came without one (e.g. from a STOMP client or the HTTP API).
    public var defaultType = "message"
    /// Message types a client may send besides the protocol's own; empty: any.
    public var allowedTypes: [String] = []
    /// A WebSocket ping this long after the last input; the connection closes when nothing at
    /// all (a pong included) arrived within `pongTimeoutMilliseconds` of the last input.
    public var pingIntervalMilliseconds: UInt64 = 54_000
    public var pongTimeoutMilliseconds: UInt64 = 60_000
    /// Largest client message; bigger ones get a `too_big` error (an offence).
    public var maxMessageBytes = 512 * 1024
    /// Errors a connection may cause before it is closed (1008).
    public var maxOffences = 5
    /// Rooms one connection may be in at once.
    public var maxRooms = 100
    /// Clients in a room also get its presence events (from `<room destination><presence suffix>`).
    public var presence = true

    public init() {}

    /// The protocol's own client message types.
    public static let joinType = "join", leaveType = "leave", pingType = "ping", pongType = "pong"
}
