internal import STOMPWire
internal import Broker
internal import UVLoop
internal import WebSocketWire

/// Encodes MESSAGE frames so the part every subscriber shares (destination, user headers, body)
/// is built once per publication and referenced by every subscriber's write; only the small
/// per-subscriber head (`subscription`, `message-id`, `ack`) is written per delivery.
struct MessageEncoder {
    /// The shared tail of one publication for one header-escaping flavour.
    struct Tail {
        let bytes: SharedBytes
        let isUTF8: Bool
    }

    /// Held strongly: an ObjectIdentifier alone could be reused by the next publication's address.
    private var publication: Publication?
    private var destination = ""
    /// Index 0: STOMP 1.0 (no escaping), 1: 1.1, 2: 1.2.
    private var tails: [Tail?] = [nil, nil, nil]
    /// Reused for every head so a delivery allocates nothing in steady state.
    private var head: [UInt8] = []
    private var stompHead: [UInt8] = []

    init() {
        head.reserveCapacity(256)
        stompHead.reserveCapacity(256)
    }

    /// The tail for this delivery, built at most once per publication, destination and version.
    mutating func tail(for delivery: Delivery, version: STOMPVersion) -> Tail {
        if publication !== delivery.publication || destination != delivery.destination {
            publication = delivery.publication
            destination = delivery.destination
            tails = [nil, nil, nil]
        }
        let slot = version == .v1_0 ? 0 : (version == .v1_1 ? 1 : 2)
        if let tail = tails[slot] { return tail }
        var headers = [STOMPHeader(name: "destination", value: delivery.destination)]
        headers.append(contentsOf: delivery.publication.headers)
        let bytes = STOMPEncoder.encodeMessageTail(headers: headers, body: delivery.publication.body, version: version)
        let tail = Tail(bytes: SharedBytes(bytes), isUTF8: UTF8Validator.isValid(bytes))
        tails[slot] = tail
        return tail
    }

    /// Writes head + shared tail to a connection, framed for WebSocket when `webSocket` is set.
    mutating func write(_ delivery: Delivery, version: STOMPVersion, webSocket: Bool, to tcp: TCPConnection) {
        let tail = tail(for: delivery, version: version)
        head.removeAll(keepingCapacity: true)
        stompHead.removeAll(keepingCapacity: true)
        STOMPEncoder.encodeMessageHead(
            subscription: delivery.subscription.id,
            messageID: delivery.publication.messageID,
            ack: delivery.ackID,
            version: version,
            into: &stompHead
        )
        if delivery.redelivered || delivery.publication.redelivered { stompHead.append(contentsOf: "redelivered:true\n".utf8) }
        if webSocket {
            WebSocketFrameEncoder.writeHeader(
                opcode: tail.isUTF8 ? .text : .binary, fin: true,
                payloadLength: stompHead.count + tail.bytes.count, into: &head
            )
        }
        head.append(contentsOf: stompHead)
        tcp.beginFrame()
        head.withUnsafeBytes { tcp.enqueue(copying: $0) }
        tcp.enqueue(tail.bytes)
    }
}
