extension ConfigurationLoader {
    /// SockJS sessions (`listen.endpoints.<name>: … sockjs=on`, or `listen.sockjs` for the default endpoint).
    static var sockJSKeys: [ConfigurationKey] {
        [
            .integer("sockjs.heartbeat-ms", \.sockJS.session.heartbeatMilliseconds, type: "milliseconds", minimum: 100,
                     "An h frame goes to a receiving request after this long without other frames."),
            .integer("sockjs.disconnect-delay-ms", \.sockJS.session.disconnectDelayMilliseconds, type: "milliseconds", minimum: 100,
                     "A session with no receiving request for this long is closed (its STOMP session ends)."),
            .integer("sockjs.max-buffered-bytes", \.sockJS.session.maxBufferedBytes, type: "bytes", minimum: 1024,
                     "Outgoing bytes one session holds while no request receives them; beyond it the session is closed (3008)."),
            .integer("sockjs.streaming-response-bytes", \.sockJS.session.streamingResponseLimitBytes, type: "bytes", minimum: 1024,
                     "A streaming response (xhr_streaming, eventsource, htmlfile) ends after this many bytes; the client opens the next."),
            .integer("sockjs.max-sessions", \.sockJS.maxSessions, type: "count", minimum: 1, "SockJS sessions on this node at once; more get 503."),
            .text("sockjs.client-script-url", \.sockJS.clientScriptURL, "The sockjs-client script iframe.html loads (iframe-based transports only)."),
            .boolean("sockjs.websocket", \.sockJS.webSocketTransport, "Offer the websocket transport in /info; off: clients use the HTTP transports only."),
        ]
    }
}
