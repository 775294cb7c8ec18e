public import STOMPWire
public import JSONMessages

/// What the node does for a JSON connection: broker work on STOMP destinations, JSON texts and
/// WebSocket pings to the client, or closing it.
public enum JSONAction: Sendable, Equatable {
    case subscribe(id: String, destination: String)
    case unsubscribe(id: String)
    case publish(destination: String, headers: STOMPHeaders, body: [UInt8])
    /// One JSON text message to the client.
    case send([UInt8])
    /// A WebSocket ping frame (the pong, like any input, goes to `noteInput`).
    case ping
    /// Close with this WebSocket code after what was sent before.
    case close(code: UInt16, reason: String)
}

/// One JSON connection's protocol state: rooms joined, offences, the ping clock. Messages in,
/// actions out; time is passed in (milliseconds). The broker decides what is allowed: an
/// operation it refuses comes back through `refused(_:)`.
public struct JSONSession: Sendable {
    public static let policyViolation: UInt16 = 1008, unsupportedData: UInt16 = 1003, messageTooBig: UInt16 = 1009

    public let settings: JSONProtocolSettings
    /// The authenticated user (nil: anonymous, no direct messages).
    public let user: String?
    /// The node's presence suffix when `settings.presence` is on (nil: no presence events).
    public let presenceSuffix: String?
    public private(set) var rooms: Set<String> = []
    public private(set) var offences = 0
    public private(set) var isClosed = false
    private var lastInput: UInt64
    private var lastPing: UInt64

    public init(settings: JSONProtocolSettings, user: String?, presenceSuffix: String? = ".presence", now: UInt64) {
        self.settings = settings
        self.presenceSuffix = settings.presence ? presenceSuffix : nil
        self.user = user
        self.lastInput = now
        self.lastPing = now
    }

    /// Subscription ids, fixed so a room is joined once and left by name.
    public static func roomSubscription(_ room: String) -> String { "room:" + room }
    public static func presenceSubscription(_ room: String) -> String { "presence:" + room }
    public static let userSubscription = "user", broadcastSubscription = "broadcast"

    /// After authentication: the user's direct messages, broadcasts, and a welcome.
    public mutating func start(session: String) -> [JSONAction] {
        var actions: [JSONAction] = []
        if user != nil { actions.append(.subscribe(id: Self.userSubscription, destination: "/user" + settings.userDestination)) }
        if !settings.broadcastDestination.isEmpty { actions.append(.subscribe(id: Self.broadcastSubscription, destination: settings.broadcastDestination)) }
        var welcome: [String: JSONValue] = [settings.typeField: .string("welcome"), "session_id": .string(session)]
        if let user { welcome["user_id"] = .string(user) }
        actions.append(.send(JSONValue.object(welcome).encoded))
        return actions
    }

    /// Any input at all (data, pong, ping) proves the peer is there.
    public mutating func noteInput(now: UInt64) {
        lastInput = now
    }

    /// One complete text message.
    public mutating func receive(_ text: [UInt8], now: UInt64) -> [JSONAction] {
        guard !isClosed else { return [] }
        noteInput(now: now)
        guard text.count <= settings.maxMessageBytes else {
            return offence(JSONProtocolError("too_big", "message larger than \(settings.maxMessageBytes) bytes"))
        }
        let command: JSONClientCommand
        do {
            command = try JSONClientCommand.decode(text, settings: settings)
        } catch {
            return offence(error)
        }
        switch command {
        case .ping:
            return [.send(object(["type": .string(JSONProtocolSettings.pongType)]))]
        case .pong:
            return []
        case .join(let room):
            if rooms.contains(room) { return [.send(object(["type": .string("joined"), "room": .string(room)]))] }
            guard rooms.count < settings.maxRooms else { return offence(JSONProtocolError("too_many_rooms", "at most \(settings.maxRooms) rooms")) }
            rooms.insert(room)
            var actions: [JSONAction] = [.subscribe(id: Self.roomSubscription(room), destination: settings.roomPrefix + room)]
            if let suffix = presenceSuffix {
                actions.append(.subscribe(id: Self.presenceSubscription(room), destination: settings.roomPrefix + room + suffix))
            }
            actions.append(.send(object(["type": .string("joined"), "room": .string(room)])))
            return actions
        case .leave(let room):
            guard rooms.remove(room) != nil else { return offence(JSONProtocolError("not_in_room", "not in this room")) }
            var actions: [JSONAction] = [.unsubscribe(id: Self.roomSubscription(room))]
            if presenceSuffix != nil { actions.append(.unsubscribe(id: Self.presenceSubscription(room))) }
            actions.append(.send(object(["type": .string("left"), "room": .string(room)])))
            return actions
        case .message(let type, let target, let content, let extra):
            let destination: String
            switch target {
            case .room(let room): destination = settings.roomPrefix + room
            case .user(let to): destination = "/user/" + to + settings.userDestination
            case .broadcast: destination = settings.broadcastDestination
            }
            var headers: STOMPHeaders = [STOMPHeader(name: settings.typeHeader, value: type)]
            let body: [UInt8]
            if case .string(let text)? = content {
                headers.append(STOMPHeader(name: "content-type", value: "text/plain;charset=utf-8"))
                body = Array(text.utf8)
            } else {
                headers.append(STOMPHeader(name: "content-type", value: "application/json"))
                body = (content ?? .null).encoded
            }
            if !extra.isEmpty { headers.append(STOMPHeader(name: settings.fieldsHeader, value: String(decoding: JSONValue.object(extra).encoded, as: UTF8.self))) }
            return [.publish(destination: destination, headers: headers, body: body)]
        }
    }

    /// A message that grew past `maxMessageBytes` (its bytes were dropped as they came).
    public mutating func receiveTooBig(now: UInt64) -> [JSONAction] {
        guard !isClosed else { return [] }
        noteInput(now: now)
        return offence(JSONProtocolError("too_big", "message larger than \(settings.maxMessageBytes) bytes"))
    }

    /// A binary message: this protocol speaks text only (fatal, 1003).
    public mutating func receiveBinary(now: UInt64) -> [JSONAction] {
        noteInput(now: now)
        return fatal(JSONProtocolError("binary_unsupported", "only text messages are accepted"), code: Self.unsupportedData)
    }

    /// The broker refused an operation (authorization, limits): the STOMP ERROR's message as a
    /// JSON error, then close 1008, as a STOMP session would be closed.
    public mutating func refused(_ message: String) -> [JSONAction] {
        fatal(JSONProtocolError("refused", message), code: Self.policyViolation)
    }

    /// The node ends the connection (shutdown, slow consumer, token expiry, …).
    public mutating func terminate(_ message: String, code: UInt16) -> [JSONAction] {
        fatal(JSONProtocolError("closed", message), code: code)
    }

    /// Periodic work: a ping after `pingIntervalMilliseconds` of quiet, close after
    /// `pongTimeoutMilliseconds` without any input.
    public mutating func tick(now: UInt64) -> [JSONAction] {
        guard !isClosed else { return [] }
        if now &- lastInput >= settings.pongTimeoutMilliseconds {
            isClosed = true
            return [.close(code: Self.policyViolation, reason: "no pong in time")]
        }
        if now &- max(lastInput, lastPing) >= settings.pingIntervalMilliseconds {
            lastPing = now
            return [.ping]
        }
        return []
    }

    private mutating func offence(_ error: JSONProtocolError) -> [JSONAction] {
        offences += 1
        guard offences < settings.maxOffences else {
            return fatal(JSONProtocolError(error.code, error.message + "; too many bad messages"), code: error.code == "too_big" ? Self.messageTooBig : Self.policyViolation)
        }
        return [.send(Self.errorText(error, settings: settings))]
    }

    private mutating func fatal(_ error: JSONProtocolError, code: UInt16) -> [JSONAction] {
        guard !isClosed else { return [] }
        isClosed = true
        return [.send(Self.errorText(error, settings: settings)), .close(code: code, reason: error.code)]
    }

    private func object(_ fields: [String: JSONValue]) -> [UInt8] {
        var renamed = fields
        if let type = renamed.removeValue(forKey: "type") { renamed[settings.typeField] = type }
        return JSONValue.object(renamed).encoded
    }

    public static func errorText(_ error: JSONProtocolError, settings: JSONProtocolSettings) -> [UInt8] {
        JSONValue.object([settings.typeField: .string("error"), "code": .string(error.code), "message": .string(error.message)]).encoded
    }
}
