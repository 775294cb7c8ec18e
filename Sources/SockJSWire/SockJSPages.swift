public import HTTPWire

/// What a SockJS endpoint answers outside any session: greeting, `/info`, `iframe.html`, CORS
/// preflights, and the header sets every transport response carries.
public struct SockJSPages: Sendable {
    /// Script the iframe page loads (sockjs-client 1.x); served by the deployment or a CDN.
    public var clientScriptURL: String
    /// `websocket` in `/info`: false makes clients skip the WebSocket transport.
    public var webSocketEnabled: Bool
    /// `cookie_needed` in `/info` (load balancers that stick on JSESSIONID; Stampede needs none).
    public var cookieNeeded: Bool

    /// Creates the pages of one endpoint.
    public init(clientScriptURL: String = "/sockjs.min.js", webSocketEnabled: Bool = true, cookieNeeded: Bool = false) {
        self.clientScriptURL = clientScriptURL
        self.webSocketEnabled = webSocketEnabled
        self.cookieNeeded = cookieNeeded
    }

    /// `GET /`: the greeting.
    public func greeting() -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=UTF-8")], body: Array("Welcome to SockJS!\n".utf8))
    }

    /// `GET /info`: `entropy` is a random 32-bit number the caller draws (this module has no randomness).
    public func info(entropy: UInt32, origin: String?) -> HTTPResponse {
        let body = #"{"websocket":\#(webSocketEnabled),"cookie_needed":\#(cookieNeeded),"origins":["*:*"],"entropy":\#(entropy)}"#
        var headers = [("Content-Type", "application/json; charset=UTF-8")]
        headers += SockJSPages.noCache + SockJSPages.cors(origin: origin)
        return HTTPResponse(status: 200, headers: headers, body: Array(body.utf8))
    }

    /// `OPTIONS` on `/info` and the XHR transports: a cacheable CORS preflight.
    public static func preflight(methods: String, origin: String?, requestHeaders: String?) -> HTTPResponse {
        var headers = [
            ("Cache-Control", "public, max-age=31536000"),
            ("Expires", "Fri, 01 Jan 2100 00:00:00 GMT"),
            ("Access-Control-Max-Age", "31536000"),
            ("Access-Control-Allow-Methods", methods),
        ]
        headers += cors(origin: origin)
        if let requestHeaders, !requestHeaders.isEmpty { headers.append(("Access-Control-Allow-Headers", requestHeaders)) }
        return HTTPResponse(status: 204, headers: headers)
    }

    /// The iframe page and its ETag (the same for every request, so a 304 can answer).
    public func iframe(ifNoneMatch: String?) -> HTTPResponse {
        let page = SockJSPages.iframePage(scriptURL: clientScriptURL)
        let etag = "\"" + SockJSPages.fnv1a(page) + "\""
        let cache = [("Cache-Control", "public, max-age=31536000"), ("Expires", "Fri, 01 Jan 2100 00:00:00 GMT"), ("ETag", etag)]
        if ifNoneMatch == etag { return HTTPResponse(status: 304, headers: cache) }
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=UTF-8")] + cache, body: Array(page.utf8))
    }

    /// Responses must not be cached by browsers or proxies.
    public static let noCache = [("Cache-Control", "no-store, no-cache, no-transform, must-revalidate, max-age=0")]

    /// CORS answer: the request's origin with credentials, or `*` without.
    public static func cors(origin: String?) -> [(String, String)] {
        if let origin, !origin.isEmpty {
            return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
        }
        return [("Access-Control-Allow-Origin", "*")]
    }

    /// A 500 with the protocol's plain-text error (`Payload expected.`, `"callback" parameter required`).
    public static func error(_ message: String, origin: String?) -> HTTPResponse {
        HTTPResponse(status: 500, headers: [("Content-Type", "text/plain; charset=UTF-8")] + cors(origin: origin) + noCache,
                     body: Array(message.utf8))
    }

    static func iframePage(scriptURL: String) -> String {
        """
        <!DOCTYPE html>
        <html>
        <head>
          <meta http-equiv="X-UA-Compatible" content="IE=edge" />
          <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
          <script src="\(scriptURL)"></script>
          <script>
            document.domain = document.domain;
            SockJS.bootstrap_iframe();
          </script>
        </head>
        <body>
          <h2>Don't panic!</h2>
          <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
        </body>
        </html>
        """
    }

    /// The start of an htmlfile response, calling `parent.<callback>`.
    static func htmlFileHead(callback: String) -> String {
        """
        <!doctype html>
        <html><head>
          <meta http-equiv="X-UA-Compatible" content="IE=edge" />
          <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
        </head><body><h2>Don't panic!</h2>
          <script>
            document.domain = document.domain;
            var c = parent.\(callback);
            c.start();
            function p(d) {c.message(d);};
            window.onload = function() {c.stop();};
          </script>
        """
    }

    /// A stable, non-cryptographic fingerprint for the ETag.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
