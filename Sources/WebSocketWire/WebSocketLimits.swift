/// Size limits a connection enforces from frame headers, before payload is buffered (close 1009).
public struct WebSocketLimits: Sendable, Equatable {
    /// Largest total payload of one (possibly fragmented) data message.
    public var maxMessageBytes: Int
    /// Largest payload of a single frame.
    public var maxFrameBytes: Int

    /// 4 MiB of STOMP body plus 64 KiB of room for the frame's command and headers.
    public static let defaultMaxBytes = 4 * 1024 * 1024 + 64 * 1024

    /// Creates limits.
    public init(maxMessageBytes: Int = defaultMaxBytes, maxFrameBytes: Int = defaultMaxBytes) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFrameBytes = maxFrameBytes
    }
}

/// Which end of the connection we are: a server requires masked frames, a client unmasked ones.
public enum WebSocketRole: Sendable {
    case server
    case client
}
