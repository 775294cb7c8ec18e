/// One Redis reply (RESP2), copied out of hiredis's reply tree (which hiredis frees after the callback).
public enum RedisReply: Sendable, Equatable {
    /// A simple string such as `OK` or `PONG`.
    case status(String)
    /// An error reply from the server, or one made locally (`not connected …`, `connection lost …`).
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string, binary-safe.
    case string([UInt8])
    /// A multi-bulk reply.
    case array([RedisReply])
    /// A nil bulk string or nil multi-bulk.
    case null

    /// A bulk string decoded as UTF-8 (invalid bytes replaced), or a status; `nil` otherwise.
    public var string: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string; `nil` otherwise.
    public var bytes: [UInt8]? {
        if case .string(let bytes) = self { bytes } else { nil }
    }

    /// Whether this is an error reply.
    public var isError: Bool {
        if case .error = self { true } else { false }
    }

    /// The message of an error reply; `nil` otherwise.
    public var errorMessage: String? {
        if case .error(let message) = self { message } else { nil }
    }

    /// The elements of a multi-bulk reply; `nil` otherwise.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// The value of an integer reply; `nil` otherwise.
    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// Whether this is a nil reply.
    public var isNull: Bool {
        self == .null
    }
}
