public import SockJSWire
internal import JSONMessages

/// What nodes tell each other so that a SockJS session works whichever node its requests reach
/// (no sticky sessions): the node that got a request for a session another node owns relays it
/// to the owner, and the owner relays back the frames for that request. Travels on the cluster
/// bus's control channel as JSON (`op`: `sockjs.*`). Pure: bytes in, values out.
public enum SockJSRelayMessage: Sendable, Equatable {
    /// A receiving request (poll or stream) for `session` reached node `from`, which answers it
    /// with what the owner sends for `receiver` (its own number for the request).
    case attach(session: String, kind: SockJSReceiverKind, from: String, receiver: UInt64)
    /// That request went away (client abort) before the owner ended it.
    case detach(session: String, from: String, receiver: UInt64)
    /// Bytes for the request, already framed for its transport.
    case frames(receiver: UInt64, bytes: [UInt8])
    /// The owner is done with the request; `found` false: it has no such session (any more).
    case end(receiver: UInt64, found: Bool)
    /// Client messages (`xhr_send`, `jsonp_send`) that reached node `from`; answered by `sent`.
    case send(session: String, messages: [String], from: String, request: UInt64)
    case sent(request: UInt64, found: Bool)

    public var encoded: [UInt8] {
        var fields: [String: JSONValue]
        switch self {
        case .attach(let session, let kind, let from, let receiver):
            fields = ["op": .string("sockjs.attach"), "session": .string(session), "from": .string(from), "receiver": Self.number(receiver)]
            fields["transport"] = .string(kind.relayName)
            if let callback = kind.callback { fields["callback"] = .string(callback) }
        case .detach(let session, let from, let receiver):
            fields = ["op": .string("sockjs.detach"), "session": .string(session), "from": .string(from), "receiver": Self.number(receiver)]
        case .frames(let receiver, let bytes):
            fields = ["op": .string("sockjs.frames"), "receiver": Self.number(receiver), "bytes": .string(String(decoding: bytes, as: UTF8.self))]
        case .end(let receiver, let found):
            fields = ["op": .string("sockjs.end"), "receiver": Self.number(receiver), "found": .bool(found)]
        case .send(let session, let messages, let from, let request):
            fields = ["op": .string("sockjs.send"), "session": .string(session), "from": .string(from), "request": Self.number(request),
                      "messages": .array(messages.map(JSONValue.string))]
        case .sent(let request, let found):
            fields = ["op": .string("sockjs.sent"), "request": Self.number(request), "found": .bool(found)]
        }
        return JSONValue.object(fields).encoded
    }

    /// Nil for anything that is not a well-formed relay message (other control messages too).
    public init?(_ payload: [UInt8]) {
        guard payload.starts(with: Array(#"{""#.utf8)), case .object(let fields)? = try? JSONValue.parse(payload),
              case .string(let op)? = fields["op"], op.hasPrefix("sockjs.") else { return nil }
        func string(_ name: String) -> String? { if case .string(let value)? = fields[name] { value } else { nil } }
        func number(_ name: String) -> UInt64? { string(name).flatMap { UInt64($0) } }
        func flag(_ name: String) -> Bool? { if case .bool(let value)? = fields[name] { value } else { nil } }
        switch op {
        case "sockjs.attach":
            guard let session = string("session"), let from = string("from"), let receiver = number("receiver"),
                  let kind = string("transport").flatMap({ SockJSReceiverKind(relayName: $0, callback: string("callback")) }) else { return nil }
            self = .attach(session: session, kind: kind, from: from, receiver: receiver)
        case "sockjs.detach":
            guard let session = string("session"), let from = string("from"), let receiver = number("receiver") else { return nil }
            self = .detach(session: session, from: from, receiver: receiver)
        case "sockjs.frames":
            guard let receiver = number("receiver"), let text = string("bytes") else { return nil }
            self = .frames(receiver: receiver, bytes: Array(text.utf8))
        case "sockjs.end":
            guard let receiver = number("receiver"), let found = flag("found") else { return nil }
            self = .end(receiver: receiver, found: found)
        case "sockjs.send":
            guard let session = string("session"), let from = string("from"), let request = number("request"),
                  case .array(let values)? = fields["messages"] else { return nil }
            var messages: [String] = []
            for value in values {
                guard case .string(let message) = value else { return nil }
                messages.append(message)
            }
            self = .send(session: session, messages: messages, from: from, request: request)
        case "sockjs.sent":
            guard let request = number("request"), let found = flag("found") else { return nil }
            self = .sent(request: request, found: found)
        default:
            return nil
        }
    }

    /// Numbers as strings: JSON numbers lose UInt64 precision in some decoders.
    private static func number(_ value: UInt64) -> JSONValue { .string(String(value)) }
}

extension SockJSReceiverKind {
    /// The transport's name in relay messages.
    var relayName: String {
        switch self {
        case .websocket: "websocket"
        case .xhrPolling: "xhr"
        case .xhrStreaming: "xhr_streaming"
        case .eventSource: "eventsource"
        case .htmlFile: "htmlfile"
        case .jsonpPolling: "jsonp"
        }
    }

    var callback: String? {
        switch self {
        case .htmlFile(let callback), .jsonpPolling(let callback): callback
        default: nil
        }
    }

    /// A relayed kind; callbacks are checked again, as the relay is input too.
    init?(relayName: String, callback: String?) {
        guard let transport = SockJSTransport(rawValue: relayName), transport != .websocket else { return nil }
        if let callback, !SockJSReceiverKind.validCallback(callback) { return nil }
        guard let kind = SockJSReceiverKind.make(transport, callback: callback) else { return nil }
        self = kind
    }
}
