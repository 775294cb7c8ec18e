public import HTTPWire

/// What the server accepts of a client's permessage-deflate offers (RFC 7692).
public struct PerMessageDeflatePolicy: Sendable, Equatable {
    /// Off: offers are ignored and no message is compressed.
    public var enabled: Bool
    /// Outgoing messages whose payload is smaller than this are sent uncompressed (RSV1 clear).
    public var minimumBytes: Int
    /// LZ77 window the server compresses with (9–15; zlib's raw deflate has no 8-bit window).
    /// Offers asking the server for a smaller window are declined.
    public var serverMaxWindowBits: Int
    /// Largest window the server keeps for inflating a client's messages (8–15); asked of clients
    /// whose offer allows it (`client_max_window_bits`). Smaller means less memory per connection.
    public var clientMaxWindowBits: Int
    /// Ask every client to compress each message on its own (`client_no_context_takeover`).
    public var requestClientNoContextTakeover: Bool

    /// Creates a policy; off by default.
    public init(
        enabled: Bool = false,
        minimumBytes: Int = 512,
        serverMaxWindowBits: Int = 15,
        clientMaxWindowBits: Int = 15,
        requestClientNoContextTakeover: Bool = false
    ) {
        self.enabled = enabled
        self.minimumBytes = minimumBytes
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.requestClientNoContextTakeover = requestClientNoContextTakeover
    }
}

/// The parameters both sides agreed on for one connection.
public struct PerMessageDeflateAgreement: Sendable, Equatable {
    /// Window the client compresses with at most: what our inflater must hold.
    public var clientMaxWindowBits: Int
    /// The client starts every message with an empty window: our inflater resets per message.
    public var clientNoContextTakeover: Bool
    /// Window we compress with.
    public var serverMaxWindowBits: Int
    /// The value of the `Sec-WebSocket-Extensions` response header.
    public var responseHeader: String
}

/// RFC 7692 negotiation and the framing details of compressed messages. The compression itself
/// (zlib) lives in `WebSocketDeflate`; this module stays pure.
///
/// The server always answers `server_no_context_takeover`: it compresses each message on its own,
/// which lets one compressed publication be shared by every subscriber's connection.
public enum PerMessageDeflate {
    /// The extension token.
    public static let name = "permessage-deflate"
    /// The four bytes a sync flush ends with; stripped by the sender, appended by the receiver (§7.2.1).
    public static let flushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// Picks the first acceptable permessage-deflate offer of a handshake request, or nil.
    public static func negotiate(_ head: HTTPRequestHead, policy: PerMessageDeflatePolicy) -> PerMessageDeflateAgreement? {
        guard policy.enabled else { return nil }
        let values = head.headers.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value)
        return negotiate(offers: values.joined(separator: ","), policy: policy)
    }

    /// Picks the first acceptable offer in a `Sec-WebSocket-Extensions` value, or nil.
    public static func negotiate(offers: String, policy: PerMessageDeflatePolicy) -> PerMessageDeflateAgreement? {
        guard policy.enabled else { return nil }
        for offer in offers.split(separator: ",") {
            if let agreement = accept(offer: String(offer), policy: policy) { return agreement }
        }
        return nil
    }

    /// One offer: `permessage-deflate; param[=value]; ...`. Unknown or repeated parameters, or
    /// invalid values, decline the offer (§7.1).
    static func accept(offer: String, policy: PerMessageDeflatePolicy) -> PerMessageDeflateAgreement? {
        let parts = offer.split(separator: ";", omittingEmptySubsequences: false).map { trim(String($0)) }
        guard parts.first?.lowercased() == name else { return nil }
        var seen = Set<String>()
        var clientNoContextTakeover = false
        var serverWindowOffered: Int?
        var clientWindowOffered = false
        var clientWindowValue: Int?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { trim(String($0)) }
            let key = pair[0].lowercased()
            let value = pair.count > 1 ? unquote(pair[1]) : nil
            guard !key.isEmpty, seen.insert(key).inserted else { return nil }
            switch key {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = value.flatMap(windowBits) else { return nil }
                serverWindowOffered = bits
            case "client_max_window_bits":
                clientWindowOffered = true
                if let value {
                    guard let bits = windowBits(value) else { return nil }
                    clientWindowValue = bits
                }
            default:
                return nil
            }
        }
        let serverWindow = policy.serverMaxWindowBits
        if let limit = serverWindowOffered, limit < serverWindow { return nil }
        var response = [name, "server_no_context_takeover"]
        if serverWindowOffered != nil || serverWindow < 15 { response.append("server_max_window_bits=\(serverWindow)") }
        var clientWindow = 15
        if clientWindowOffered {
            clientWindow = min(clientWindowValue ?? 15, policy.clientMaxWindowBits)
            if clientWindowValue != nil || clientWindow < 15 { response.append("client_max_window_bits=\(clientWindow)") }
        }
        let resetPerMessage = clientNoContextTakeover || policy.requestClientNoContextTakeover
        if resetPerMessage { response.append("client_no_context_takeover") }
        return PerMessageDeflateAgreement(
            clientMaxWindowBits: clientWindow,
            clientNoContextTakeover: resetPerMessage,
            serverMaxWindowBits: serverWindow,
            responseHeader: response.joined(separator: "; ")
        )
    }

    /// Appends a non-final deflate stored block header for `length` raw bytes (≤ 65,535): with it,
    /// a small per-connection prefix goes in front of a shared compressed tail without compressing
    /// anything per connection (RFC 1951 §3.2.4: BFINAL=0, BTYPE=00, LEN, NLEN).
    public static func writeStoredBlockHeader(length: Int, into out: inout [UInt8]) {
        precondition(length >= 0 && length <= 0xFFFF, "stored block over 65,535 bytes")
        let len = UInt16(length), nlen = ~UInt16(length)
        out.append(0x00)
        out.append(UInt8(len & 0xFF))
        out.append(UInt8(len >> 8))
        out.append(UInt8(nlen & 0xFF))
        out.append(UInt8(nlen >> 8))
    }

    private static func windowBits(_ text: String) -> Int? {
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let bits = Int(text), (8...15).contains(bits) else { return nil }
        return bits
    }

    private static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        return String(text.dropFirst().dropLast())
    }

    private static func trim(_ text: String) -> String {
        var bytes = text.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return String(bytes) ?? ""
    }
}

/// Inflates the compressed messages of one connection (RFC 7692 §7.2.2). Implemented with zlib in
/// `WebSocketDeflate`; injected into `WebSocketConnection` so this module imports no C.
public protocol WebSocketInflater: AnyObject, Sendable {
    /// Inflates the payload of one frame of a compressed message. At `endOfMessage` the
    /// implementation appends `PerMessageDeflate.flushTail` first (and resets its window when the
    /// client takes no context over). Never produces more than `limit` bytes: beyond that it
    /// answers `.tooBig` without inflating further (a zlib bomb costs at most `limit`).
    func inflate(_ compressed: [UInt8], endOfMessage: Bool, limit: Int) -> WebSocketInflateResult
}

/// The outcome of inflating one frame.
public enum WebSocketInflateResult: Sendable, Equatable {
    /// The inflated bytes (possibly empty).
    case inflated([UInt8])
    /// The message inflates to more than the limit (close 1009).
    case tooBig
    /// Not a valid deflate stream (close 1007 is not right for it; 1002 protocol error).
    case invalid
}
