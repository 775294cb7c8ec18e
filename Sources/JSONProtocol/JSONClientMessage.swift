public import JSONMessages

/// What one client message asks for, decoded from its JSON text.
public enum JSONClientCommand: Sendable, Equatable {
    case join(room: String)
    case leave(room: String)
    case ping
    case pong
    /// An application message (`chat`, `typing`, …) to a room, a user, or everyone.
    case message(type: String, target: JSONTarget, content: JSONValue?, extraFields: [String: JSONValue])
}

/// Where an application message goes.
public enum JSONTarget: Sendable, Equatable {
    case room(String)
    case user(String)
    case broadcast
}

/// A client mistake, answered with `{"type":"error","code":…,"message":…}`.
public struct JSONProtocolError: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension JSONClientCommand {
    /// Decodes one client message. Names (rooms, users) must be non-empty, without `/`, `*`,
    /// `>` or control characters, at most 200 bytes: they become parts of destinations.
    public static func decode(_ text: [UInt8], settings: JSONProtocolSettings) throws(JSONProtocolError) -> JSONClientCommand {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw JSONProtocolError("malformed_json", "the message is not valid JSON")
        }
        guard case .object(var fields) = value else { throw JSONProtocolError("bad_message", "a message must be a JSON object") }
        guard case .string(let type)? = fields.removeValue(forKey: settings.typeField), !type.isEmpty else {
            throw JSONProtocolError("bad_message", "'\(settings.typeField)' must be a non-empty string")
        }
        let room = try name(fields.removeValue(forKey: settings.roomField), field: settings.roomField)
        let to = try name(fields.removeValue(forKey: settings.toField), field: settings.toField)
        switch type {
        case JSONProtocolSettings.joinType, JSONProtocolSettings.leaveType:
            guard let room else { throw JSONProtocolError("bad_message", "'\(type)' needs '\(settings.roomField)'") }
            return type == JSONProtocolSettings.joinType ? .join(room: room) : .leave(room: room)
        case JSONProtocolSettings.pingType:
            return .ping
        case JSONProtocolSettings.pongType:
            return .pong
        default:
            if !settings.allowedTypes.isEmpty, !settings.allowedTypes.contains(type) {
                throw JSONProtocolError("unknown_type", "unknown message type")
            }
            // The sender is whoever the broker says; a client's `from` is dropped, never passed on.
            fields.removeValue(forKey: settings.fromField)
            let content = fields.removeValue(forKey: settings.contentField)
            let target: JSONTarget
            if let to {
                guard room == nil else { throw JSONProtocolError("bad_message", "a message goes to a room or to a user, not both") }
                target = .user(to)
            } else if let room {
                target = .room(room)
            } else {
                guard !settings.broadcastDestination.isEmpty else { throw JSONProtocolError("bad_message", "name a '\(settings.roomField)' or a '\(settings.toField)'") }
                target = .broadcast
            }
            return .message(type: type, target: target, content: content, extraFields: fields)
        }
    }

    /// A room or user name that can be part of a destination.
    public static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200
            && !text.unicodeScalars.contains(where: { $0 == "/" || $0 == "*" || $0 == ">" || $0.value < 0x20 || $0 == "#" })
    }

    /// A room or user name, or nil when the field is absent, null or "" (the guide's "empty: broadcast").
    static func name(_ value: JSONValue?, field: String) throws(JSONProtocolError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            if text.isEmpty { return nil }
            guard isValidName(text) else {
                throw JSONProtocolError("bad_name", "'\(field)' is not a valid name")
            }
            return text
        default:
            throw JSONProtocolError("bad_message", "'\(field)' must be a string")
        }
    }
}
