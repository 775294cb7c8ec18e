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
        // SEND (on a node) and MESSAGE (on a client) first, by word: the table is a lazily made
        // static, and reaching it costs a `swift_once` call per frame.
        if bytes.count == 4, UnsafeRawBufferPointer(bytes).loadUnaligned(as: UInt32.self) == Self.sendWord {
            self = .SEND
            return
        }
        if bytes.count == 7, UnsafeRawBufferPointer(bytes).loadUnaligned(as: UInt32.self) == Self.messageWords.0,
           UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: 3, as: UInt32.self) == Self.messageWords.1
        {
            self = .MESSAGE
            return
        }
        guard let command = Self.wireNames.value(for: bytes) else { return nil }
        self = command
    }

    /// "SEND" and "MESSAGE" (bytes 0..<4 and 3..<7) as the words `loadUnaligned` reads, in this
    /// platform's byte order; integer arithmetic, so no lazy initialization.
    private static var sendWord: UInt32 { UInt32(littleEndian: 0x444E_4553) }
    private static var messageWords: (UInt32, UInt32) { (UInt32(littleEndian: 0x5353_454D), UInt32(littleEndian: 0x4547_4153)) }

    private static let wireNames = WireNameTable(allCases.map { ($0.rawValue, $0) })
}
