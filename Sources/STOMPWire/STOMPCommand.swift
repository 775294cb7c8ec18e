/// The command line of a STOMP frame (client and server commands of STOMP 1.0–1.2).
public enum STOMPCommand: String, Sendable, CaseIterable {
    case CONNECT, STOMP, CONNECTED, SEND, SUBSCRIBE, UNSUBSCRIBE, ACK, NACK, BEGIN, COMMIT, ABORT, DISCONNECT
    case MESSAGE, RECEIPT, ERROR

    /// The connection handshake frames: exchanged before (or while) the version is negotiated,
    /// so their headers are never escaped and CRLF is always accepted in them.
    var isHandshake: Bool {
        switch self {
        case .CONNECT, .STOMP, .CONNECTED: true
        default: false
        }
    }
}
