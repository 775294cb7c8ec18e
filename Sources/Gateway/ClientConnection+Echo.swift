internal import WebSocketWire
internal import WebSocketDeflate
internal import UVLoop
internal import FlowControl

/// The conformance echo endpoint (`conformance.echo-path`): every WebSocket message comes back
/// as it was sent, through the same WebSocket code every STOMP client goes through, so
/// Autobahn|Testsuite judges the real framing, UTF-8 validation, close handshake and
/// permessage-deflate. No STOMP session ever starts on it.
extension ClientConnection {
    var isEcho: Bool { endpoint?.wireProtocol == .echo }

    func collectEcho(_ payload: [UInt8]) {
        node.echoMessages[id, default: []].append(contentsOf: payload)
    }

    /// The message is complete: it goes back whole, compressed when the client negotiated
    /// permessage-deflate (with the node's window, each message on its own).
    func finishEcho() {
        guard isOpen, let webSocket else { return }
        let payload = node.echoMessages.removeValue(forKey: id) ?? []
        let opcode: WebSocketOpcode = webSocket.messageIsTextMessage ? .text : .binary
        tcp.beginFrame()
        if compressFrom != nil, !payload.isEmpty, let deflater = node.echoDeflater {
            let compressed = deflater.compress(payload)
            var frame: [UInt8] = []
            frame.reserveCapacity(compressed.count + 10)
            WebSocketFrameEncoder.writeCompressedHeader(opcode: opcode, payloadLength: compressed.count, into: &frame)
            frame += compressed
            tcp.enqueue(frame)
        } else {
            tcp.enqueue(WebSocketFrameEncoder.frame(opcode: opcode, payload: payload))
        }
        node.counters.framesOut += 1
    }

    /// An echo connection has no CONNECT and no heart-beats: only the frame deadline applies.
    func tickEcho(now: UInt64) {
        if partialFrame.isExpired(now: now) {
            node.counters.frameTimeouts += 1
            node.log(refused: self, reason: "frame not completed in time")
            cutOff("frame not completed within \(node.configuration.frameTimeoutMilliseconds) ms")
        }
    }
}
