internal import WebSocketWire

extension ConfigurationLoader {
    /// permessage-deflate (RFC 7692) on the WebSocket listener.
    static var compressionKeys: [ConfigurationKey] {
        [
            .boolean("websocket.permessage-deflate.enabled", \.perMessageDeflate.enabled,
                     "Accept clients' permessage-deflate offers: inflate their compressed messages, compress large MESSAGEs to them."),
            .integer("websocket.permessage-deflate.min-bytes", \.perMessageDeflate.minimumBytes, type: "bytes", minimum: 0,
                     "MESSAGE frames smaller than this go out uncompressed."),
            .integer("websocket.permessage-deflate.server-max-window-bits", \.perMessageDeflate.serverMaxWindowBits, type: "bits",
                     minimum: 9, maximum: 15, "LZ77 window the node compresses with; offers asking for less are declined."),
            .integer("websocket.permessage-deflate.client-max-window-bits", \.perMessageDeflate.clientMaxWindowBits, type: "bits",
                     minimum: 8, maximum: 15, "Largest window asked of clients that allow it (memory per connection: 2^bits bytes to inflate)."),
            .boolean("websocket.permessage-deflate.client-no-context-takeover", \.perMessageDeflate.requestClientNoContextTakeover,
                     "Ask clients to compress each message on its own (less compression, no inflate state kept between messages)."),
        ]
    }
}
