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

    /// The command whose name is exactly `bytes`, found without building a String (this runs for
    /// every decoded frame).
    init?(wireName bytes: UnsafeBufferPointer<UInt8>) {
        guard let command = Self.wireNames.value(for: bytes) else { return nil }
        self = command
    }

    private static let wireNames = WireNameTable(allCases.map { ($0.rawValue, $0) })
}
