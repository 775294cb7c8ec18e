/// Frame opcodes defined by RFC 6455 §5.2.
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0
    case text = 1
    case binary = 2
    case close = 8
    case ping = 9
    case pong = 10

    /// Close, ping and pong: at most 125 bytes of payload, never fragmented.
    public var isControl: Bool { rawValue & 0x08 != 0 }
}

/// Close status codes (RFC 6455 §7.4.1 and the IANA registry) that this server sends.
public enum WebSocketCloseCode {
    /// Normal closure.
    public static let normal: UInt16 = 1000
    /// The server is shutting down; the client should reconnect elsewhere.
    public static let goingAway: UInt16 = 1001
    /// The peer broke the framing protocol.
    public static let protocolError: UInt16 = 1002
    /// The peer sent a data type we do not accept.
    public static let unsupportedData: UInt16 = 1003
    /// A text message or close reason was not valid UTF-8.
    public static let invalidPayload: UInt16 = 1007
    /// The peer violated policy (e.g. a STOMP error).
    public static let policyViolation: UInt16 = 1008
    /// A frame or message exceeded the configured limit.
    public static let messageTooBig: UInt16 = 1009
    /// The server hit an unexpected condition.
    public static let internalError: UInt16 = 1011
    /// Temporary overload; try again later.
    public static let tryAgainLater: UInt16 = 1013

    /// Whether a peer may send `code` in a close frame: 1000–1003, 1007–1014 (1012 service
    /// restart, 1013 try again later, 1014 bad gateway are IANA-registered) and 3000–4999.
    public static func isValidReceived(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
