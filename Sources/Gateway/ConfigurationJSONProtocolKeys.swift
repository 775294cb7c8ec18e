internal import JSONProtocol

extension ConfigurationLoader {
    /// The plain JSON WebSocket protocol (`listen.endpoints.<name>: … protocol=json`).
    static var jsonProtocolKeys: [ConfigurationKey] {
        let field = "a JSON field name"
        let isField: (String) -> Bool = { !$0.isEmpty && $0.utf8.count <= 64 && !$0.contains("\"") }
        let isPrefix: (String) -> Bool = { $0.hasPrefix("/") && !$0.contains("*") }
        return [
            .text("json.type-field", \.jsonProtocol.typeField, expected: field, isValid: isField, "Field naming a message's type (join, leave, ping, chat, …)."),
            .text("json.to-field", \.jsonProtocol.toField, expected: field, isValid: isField, "Field naming the user a direct message goes to."),
            .text("json.from-field", \.jsonProtocol.fromField, expected: field, isValid: isField, "Field naming the sender in messages to clients (set by the broker, never by the client)."),
            .text("json.room-field", \.jsonProtocol.roomField, expected: field, isValid: isField, "Field naming a room."),
            .text("json.content-field", \.jsonProtocol.contentField, expected: field, isValid: isField, "Field carrying a message's content (any JSON value)."),
            .text("json.room-prefix", \.jsonProtocol.roomPrefix, expected: "a destination prefix starting with /", isValid: isPrefix,
                  "Room <name> is the destination <prefix><name>; STOMP clients subscribed there share the room."),
            .text("json.user-destination", \.jsonProtocol.userDestination, expected: "a destination starting with /", isValid: isPrefix,
                  "Direct messages go to /user/<id><this> (STOMP clients subscribe to /user<this>)."),
            .text("json.broadcast-destination", \.jsonProtocol.broadcastDestination, allowEmpty: true, expected: "empty or a destination starting with /",
                  isValid: { $0.isEmpty || isPrefix($0) }, "Where messages naming neither a room nor a user go (every JSON client subscribes); empty: refused."),
            .text("json.type-header", \.jsonProtocol.typeHeader, expected: "a STOMP header name", isValid: isField, "STOMP header carrying the JSON type both ways."),
            .text("json.fields-header", \.jsonProtocol.fieldsHeader, expected: "a STOMP header name", isValid: isField,
                  "STOMP header carrying a client message's extra top-level fields (a JSON object), merged back for JSON recipients."),
            .text("json.default-type", \.jsonProtocol.defaultType, expected: "a type name", isValid: isField, "Type shown for messages sent without one (STOMP clients, the HTTP API)."),
            .texts("json.message-types", \.jsonProtocol.allowedTypes, expected: "type names", isValid: isField,
                   "Message types clients may send besides join/leave/ping/pong; empty: any (others get an unknown_type error)."),
            .integer("json.ping-interval-ms", \.jsonProtocol.pingIntervalMilliseconds, type: "milliseconds", minimum: 100,
                     "A WebSocket ping after this long without input from the client."),
            .integer("json.pong-timeout-ms", \.jsonProtocol.pongTimeoutMilliseconds, type: "milliseconds", minimum: 100,
                     "Close (1008) a client that sent nothing at all, pongs included, for this long."),
            .integer("json.max-message-bytes", \.jsonProtocol.maxMessageBytes, type: "bytes", minimum: 64,
                     "Largest client message; bigger ones get a too_big error (websocket limits still apply)."),
            .integer("json.max-offences", \.jsonProtocol.maxOffences, type: "count", minimum: 1,
                     "Errors (malformed JSON, unknown type, too big, …) before the connection is closed."),
            .integer("json.max-rooms", \.jsonProtocol.maxRooms, type: "count", minimum: 1, "Rooms one JSON connection may be in at once."),
            .boolean("json.presence", \.jsonProtocol.presence, "Clients in a room get its presence events (type presence) when presence.destinations watches the room."),
        ]
    }
}
