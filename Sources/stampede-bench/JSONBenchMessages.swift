import STOMPWire

/// The plain JSON WebSocket protocol (`protocol=json` endpoints) for benchmark receivers: the
/// scenarios speak STOMP frames, so SUBSCRIBE becomes a room `join` and the node's JSON messages
/// come back as MESSAGE (the `content` string as body) or RECEIPT (`joined`).
enum JSONBenchMessages {
    /// The room prefix of `json.room-prefix` (the node's default).
    static let roomPrefix = "/topic/room."

    /// The JSON text for an outgoing frame; nil for frames JSON clients do not send.
    static func text(for frame: STOMPFrame) -> String? {
        guard frame.command == .SUBSCRIBE, let destination = frame["destination"], destination.hasPrefix(roomPrefix) else { return nil }
        return #"{"type":"join","room":""# + destination.dropFirst(roomPrefix.count) + #""}"#
    }

    /// What a JSON message from the node means to a scenario. `pendingReceipt` is the receipt
    /// asked for by the last SUBSCRIBE (answered by `joined`).
    enum Incoming {
        case welcome
        case frame(STOMPFrame)
        case ignored
    }

    static func incoming(_ message: [UInt8], pendingReceipt: String?) -> Incoming {
        guard let type = stringField("type", in: message) else { return .ignored }
        switch type {
        case "welcome":
            return .welcome
        case "joined":
            guard let pendingReceipt else { return .ignored }
            return .frame(STOMPFrame(.RECEIPT, headers: [("receipt-id", pendingReceipt)]))
        case "error":
            return .frame(STOMPFrame(.ERROR, headers: [("message", stringField("message", in: message) ?? "JSON error")]))
        default:
            guard let content = stringField("content", in: message) else { return .ignored }
            return .frame(STOMPFrame(.MESSAGE, headers: [("destination", roomPrefix + (stringField("room", in: message) ?? ""))], body: Array(content.utf8)))
        }
    }

    /// The value of `"name":"…"` without unescaping: benchmark payloads are plain ASCII, and a
    /// full JSON parse per delivery would make the client, not the node, the bottleneck.
    static func stringField(_ name: String, in message: [UInt8]) -> String? {
        let key = Array("\"\(name)\":\"".utf8)
        // A plain scan: the stdlib's generic `firstRange(of:)` made the bench, not the node, the limit.
        let found: Int? = message.withUnsafeBufferPointer { haystack in
            key.withUnsafeBufferPointer { needle in
                guard haystack.count >= needle.count else { return nil }
                var index = 0
                while index <= haystack.count - needle.count {
                    if haystack[index] == needle[0] {
                        var matched = 1
                        while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                        if matched == needle.count { return index }
                    }
                    index += 1
                }
                return nil
            }
        }
        guard let offset = found else { return nil }
        let start = offset + key.count
        guard let end = message[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: message[start..<end], as: UTF8.self)
    }
}
