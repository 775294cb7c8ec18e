public import STOMPWire
public import JSONMessages

/// A message from a STOMP destination as the JSON client sees it:
/// `{"type":…,"room":…|"to":…,"from":…,"content":…}` plus the sender's extra fields.
public enum JSONMessageEncoder {
    /// `destination` is the one the subscription shows (`/user/queue/messages` for direct
    /// messages); `recipient` is the connection's user. `from` is the broker-set `user-id`.
    public static func encode(destination: String, headers: STOMPHeaders, body: [UInt8], recipient: String?, settings: JSONProtocolSettings, presenceSuffix: String? = ".presence") -> [UInt8] {
        var fields: [String: JSONValue] = [:]
        var type: String?, contentType: String?, sender: String?, presence: String?
        for header in headers {
            switch header.name {
            case settings.typeHeader: type = type ?? header.value
            case "content-type": contentType = contentType ?? header.value
            case "user-id": sender = sender ?? header.value
            case "presence-event": presence = presence ?? header.value
            case settings.fieldsHeader:
                if case .object(let extra)? = try? JSONValue.parse(Array(header.value.utf8)) { fields.merge(extra) { current, _ in current } }
            default: continue
            }
        }
        for reserved in [settings.typeField, settings.toField, settings.fromField, settings.roomField, settings.contentField] {
            fields.removeValue(forKey: reserved)
        }
        if let suffix = presenceSuffix, presence != nil, destination.hasPrefix(settings.roomPrefix), destination.hasSuffix(suffix) {
            // A presence event's body is already `{"event":…,"user":…,"destination":…}`.
            fields[settings.typeField] = .string("presence")
            fields[settings.roomField] = .string(String(destination.dropFirst(settings.roomPrefix.count).dropLast(suffix.count)))
            fields[settings.contentField] = content(body, contentType: contentType)
            return JSONValue.object(fields).encoded
        }
        fields[settings.typeField] = .string(type ?? settings.defaultType)
        if destination.hasPrefix(settings.roomPrefix) {
            fields[settings.roomField] = .string(String(destination.dropFirst(settings.roomPrefix.count)))
        } else if destination == "/user" + settings.userDestination, let recipient {
            fields[settings.toField] = .string(recipient)
        }
        if let sender { fields[settings.fromField] = .string(sender) }
        fields[settings.contentField] = content(body, contentType: contentType)
        return JSONValue.object(fields).encoded
    }

    /// JSON bodies as values, text as a string, other bytes as base64 text.
    static func content(_ body: [UInt8], contentType: String?) -> JSONValue {
        if contentType?.hasPrefix("application/json") == true, let value = try? JSONValue.parse(body) { return value }
        if let text = String(validating: body, as: UTF8.self) { return .string(text) }
        return .string(JSONValue.base64(body))
    }
}
