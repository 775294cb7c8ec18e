internal import STOMPWire
internal import Broker
internal import UVLoop
internal import WebSocketWire
internal import WebSocketDeflate

/// Encodes MESSAGE frames so the part every subscriber shares (destination, user headers, body)
/// is built once per publication and referenced by every subscriber's write; only the small
/// per-subscriber head (`subscription`, `message-id`, `ack`) is written per delivery.
struct MessageEncoder {
    /// The shared tail of one publication for one header-escaping flavour.
    struct Tail {
        let bytes: SharedBytes
        let isUTF8: Bool
        /// The tail deflated on its own (permessage-deflate), made at the first compressing
        /// subscriber and shared by the rest.
        var deflated: SharedBytes?
    }

    /// The tails of the current publication by version slot.
    struct Tails {
        var v1_0: Tail?
        var v1_1: Tail?
        var v1_2: Tail?

        subscript(slot: Int) -> Tail? {
            get { slot == 0 ? v1_0 : (slot == 1 ? v1_1 : v1_2) }
            set {
                switch slot {
                case 0: v1_0 = newValue
                case 1: v1_1 = newValue
                default: v1_2 = newValue
                }
            }
        }
    }

    /// Held strongly: an ObjectIdentifier alone could be reused by the next publication's address.
    private var publication: Publication?
    /// The current delivery's `shownDestination` (nil: the publication's destination).
    private var shownDestination: String?
    /// Index 0: STOMP 1.0 (no escaping), 1: 1.1, 2: 1.2. Three fields, not an array: resetting
    /// them per publication allocates nothing.
    private var tails = Tails()
    /// Reused for every head so a delivery allocates nothing in steady state. `stompHead` starts
    /// with `WebSocketFrameEncoder.maxHeaderLength` bytes kept for the WebSocket header.
    private var head: [UInt8] = []
    private var stompHead: [UInt8] = []
    /// `stompHead` starts with the current publication's "MESSAGE\nmessage-id:…\n" as written
    /// for `messageIDVersion` (nil: not yet), up to `headPrefixEnd`: its subscribers' heads
    /// share it and each only writes what follows. (A message id kept in an array of its own
    /// was retained and released per delivery to be appended, issue 13.)
    private var messageIDVersion: STOMPVersion?
    private var headPrefixEnd = 0

    /// One deflater for the node: every message is compressed on its own (server_no_context_takeover).
    private var deflater: MessageDeflater?
    private let deflateWindowBits: Int

    init(deflateWindowBits: Int = 15) {
        self.deflateWindowBits = deflateWindowBits
        head.reserveCapacity(256)
        stompHead.reserveCapacity(256)
        stompHead.append(contentsOf: repeatElement(0, count: WebSocketFrameEncoder.maxHeaderLength))
    }

    /// The tail deflated once per publication and version, for permessage-deflate connections.
    private mutating func deflatedTail(for delivery: Delivery, version: STOMPVersion) -> SharedBytes? {
        let slot = version == .v1_0 ? 0 : (version == .v1_1 ? 1 : 2)
        if let deflated = tails[slot]?.deflated { return deflated }
        if deflater == nil { deflater = MessageDeflater(windowBits: deflateWindowBits) }
        guard let deflater, let tail = tails[slot] else { return nil }
        let compressed = tail.bytes.withUnsafeBytes { deflater.compress($0) }
        let shared = SharedBytes(compressed)
        tails[slot]?.deflated = shared
        return shared
    }

    /// The slot of this delivery's tail in `tails`, built at most once per publication,
    /// destination and version (a slot, not the tail: returning it copied the tail per delivery).
    mutating func tailSlot(for delivery: Delivery, version: STOMPVersion) -> Int {
        select(delivery)
        let slot = version == .v1_0 ? 0 : (version == .v1_1 ? 1 : 2)
        if tails[slot] != nil { return slot }
        let bytes = STOMPEncoder.encodeMessageTail(
            destination: delivery.shownDestination ?? delivery.publication.destination, headers: delivery.publication.headers,
            body: delivery.publication.body, version: version)
        tails[slot] = Tail(bytes: SharedBytes(bytes), isUTF8: delivery.publication.bodyIsKnownUTF8 || Self.isUTF8(bytes[...]))
        return slot
    }

    /// Makes `delivery`'s publication and destination the current ones (their tails and
    /// message id are built afresh when they change).
    private mutating func select(_ delivery: Delivery) {
        guard publication !== delivery.publication || shownDestination != delivery.shownDestination else { return }
        if publication !== delivery.publication { messageIDVersion = nil }
        publication = delivery.publication
        shownDestination = delivery.shownDestination
        tails = Tails()
    }

    /// Starts the per-subscriber head in `stompHead`, after the space kept for the WebSocket
    /// header: MESSAGE, message-id (kept from the previous delivery of the publication),
    /// subscription, ack, redelivered.
    private mutating func writeHead(_ delivery: Delivery, version: STOMPVersion) {
        if messageIDVersion != version {
            stompHead.removeSubrange(WebSocketFrameEncoder.maxHeaderLength...)
            STOMPEncoder.encodeMessageHeadStart(
                messageID: delivery.publication.messageIDText, messageNumber: delivery.publication.messageNumber, version: version, into: &stompHead)
            headPrefixEnd = stompHead.count
            messageIDVersion = version
        } else if stompHead.count > headPrefixEnd {
            stompHead.removeSubrange(headPrefixEnd...)
        }
        STOMPEncoder.encodeMessageHeadRest(subscription: delivery.subscription.id, ack: delivery.ackID, version: version, into: &stompHead)
        if delivery.redelivered || delivery.publication.redelivered { stompHead.append(contentsOf: "redelivered:true\n".utf8) }
    }

    /// Whether an encoded MESSAGE tail is valid UTF-8 (a text frame). Callers skip it when the
    /// publication's body is known to be: every header came from a String, which is valid
    /// UTF-8, and escaping adds ASCII only, so the body alone decides.
    private static func isUTF8(_ tail: ArraySlice<UInt8>) -> Bool {
        tail.withUnsafeBytes { bytes in
            var validator = UTF8Validator()
            return validator.feed(bytes) && validator.isAtBoundary
        }
    }

    /// Bodies up to this size go out in one copy when a publication has a single subscriber.
    static let aloneBodyLimit = 4096

    /// Writes a MESSAGE that no other subscriber shares (a queue message, a topic with one
    /// subscriber): head and tail encoded into one reused buffer and copied out once, with no
    /// shared tail to allocate and release per message (issue 13). Larger bodies, and
    /// permessage-deflate connections, take the shared path (`write`).
    mutating func writeAlone(_ delivery: Delivery, version: STOMPVersion, webSocket: Bool, compressFrom: Int? = nil, to tcp: TCPConnection) {
        guard delivery.publication.body.count <= Self.aloneBodyLimit, !(webSocket && compressFrom != nil) else {
            return write(delivery, version: version, webSocket: webSocket, compressFrom: compressFrom, to: tcp)
        }
        // Not made the current publication: it has no other delivery to share a tail or
        // message id with, and holding it cost a retain and a release per message (issue 13).
        // The head is written afresh, and the current publication's head prefix is not kept.
        messageIDVersion = nil
        defer { messageIDVersion = nil }
        writeHead(delivery, version: version)
        let tailStart = stompHead.count
        // Two calls rather than `shownDestination ?? publication.destination`: the coalesced
        // String is a copy, one more atomic retain and release per queue message (measured).
        if let shown = delivery.shownDestination {
            STOMPEncoder.encodeMessageTail(
                destination: shown, headers: delivery.publication.headers, body: delivery.publication.body, version: version, into: &stompHead)
        } else {
            STOMPEncoder.encodeMessageTail(
                destination: delivery.publication.destination, headers: delivery.publication.headers, body: delivery.publication.body,
                version: version, into: &stompHead)
        }
        let reserved = WebSocketFrameEncoder.maxHeaderLength
        var start = reserved
        if webSocket {
            let isUTF8 = delivery.publication.bodyIsKnownUTF8 || Self.isUTF8(stompHead[tailStart...])
            start = WebSocketFrameEncoder.writeHeader(
                opcode: isUTF8 ? .text : .binary, payloadLength: stompHead.count - reserved, endingAt: reserved, in: &stompHead)
        }
        stompHead.withUnsafeBytes { tcp.enqueueFrame(copying: UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Writes head + shared tail to a connection, framed for WebSocket when `webSocket` is set.
    ///
    /// The per-subscriber head is encoded after `WebSocketFrameEncoder.maxHeaderLength` reserved
    /// bytes, the WebSocket header written into the end of that space, and both go out as one
    /// copy, followed by a reference to the shared tail.
    ///
    /// With `compressFrom` (permessage-deflate negotiated) and a tail at least that long, the
    /// message goes out compressed without compressing anything per subscriber: the small head as
    /// a deflate stored block, then the tail deflated once per publication (a stored block and an
    /// independently compressed stream concatenate into one valid deflate stream).
    mutating func write(_ delivery: Delivery, version: STOMPVersion, webSocket: Bool, compressFrom: Int? = nil, to tcp: TCPConnection) {
        let slot = tailSlot(for: delivery, version: version)
        let reserved = WebSocketFrameEncoder.maxHeaderLength
        writeHead(delivery, version: version)
        let headCount = stompHead.count - reserved
        // The tail is read where it is: copying the `Tail` cost two retains and releases per
        // delivery (issue 13).
        let isUTF8: Bool, tailCount: Int
        switch slot {
        case 0: (isUTF8, tailCount) = (tails.v1_0!.isUTF8, tails.v1_0!.bytes.count)
        case 1: (isUTF8, tailCount) = (tails.v1_1!.isUTF8, tails.v1_1!.bytes.count)
        default: (isUTF8, tailCount) = (tails.v1_2!.isUTF8, tails.v1_2!.bytes.count)
        }
        if webSocket, let compressFrom, tailCount >= compressFrom, let deflated = deflatedTail(for: delivery, version: version) {
            head.removeAll(keepingCapacity: true)
            WebSocketFrameEncoder.writeCompressedHeader(
                opcode: isUTF8 ? .text : .binary, payloadLength: 5 + headCount + deflated.count, into: &head)
            PerMessageDeflate.writeStoredBlockHeader(length: headCount, into: &head)
            head.append(contentsOf: stompHead[reserved...])
            head.withUnsafeBytes { tcp.enqueueFrame(copying: $0, sharing: deflated) }
            return
        }
        let start = webSocket
            ? WebSocketFrameEncoder.writeHeader(
                opcode: isUTF8 ? .text : .binary, payloadLength: headCount + tailCount, endingAt: reserved, in: &stompHead)
            : reserved
        stompHead.withUnsafeBytes { head in
            let head = UnsafeRawBufferPointer(rebasing: head[start...])
            switch slot {
            // Unretained: `tails` keeps the tail alive during the call (issue 13).
            case 0: tcp.enqueueFrame(copying: head, sharingUnretained: .passUnretained(tails.v1_0!.bytes))
            case 1: tcp.enqueueFrame(copying: head, sharingUnretained: .passUnretained(tails.v1_1!.bytes))
            default: tcp.enqueueFrame(copying: head, sharingUnretained: .passUnretained(tails.v1_2!.bytes))
            }
        }
    }
}
