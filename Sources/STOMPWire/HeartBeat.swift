/// A `heart-beat` header: `cx,cy` in milliseconds, 0 meaning "cannot send" / "does not want".
public struct HeartBeat: Sendable, Equatable {
    /// cx (ms): the smallest interval this side can send.
    public var canSend: UInt32
    /// cy (ms): the interval at which this side wants to receive.
    public var wantsReceive: UInt32

    /// No heart-beats either way (also what an absent header means).
    public static let disabled = HeartBeat(canSend: 0, wantsReceive: 0)

    /// A heart-beat offer.
    public init(canSend: UInt32, wantsReceive: UInt32) {
        self.canSend = canSend
        self.wantsReceive = wantsReceive
    }

    /// Parses "cx,cy" (decimal, spaces around a number tolerated); nil if malformed.
    public init?(header: String) {
        let parts = header.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let canSend = Self.parseMilliseconds(parts[0]),
              let wantsReceive = Self.parseMilliseconds(parts[1]) else { return nil }
        self.init(canSend: canSend, wantsReceive: wantsReceive)
    }

    /// The header value, "cx,cy".
    public var headerValue: String { "\(canSend),\(wantsReceive)" }

    /// Server view. Returns ms intervals; 0 = disabled. outgoing: server sends every max(sx, cy) if both non-zero; incoming: client must send every max(cx, sy) if both non-zero.
    public static func negotiate(client: HeartBeat, server: HeartBeat) -> (outgoing: UInt32, incoming: UInt32) {
        (interval(sender: server.canSend, receiver: client.wantsReceive),
         interval(sender: client.canSend, receiver: server.wantsReceive))
    }

    private static func interval(sender: UInt32, receiver: UInt32) -> UInt32 {
        sender == 0 || receiver == 0 ? 0 : max(sender, receiver)
    }

    private static func parseMilliseconds(_ text: Substring) -> UInt32? {
        var text = text
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt32(text)
    }
}
