public import Applications
public import JSONMessages
public import STOMPWire

/// The JSON a webhook receives for one application call, and how its answer is read.
///
/// Request (POST, `Content-Type: application/json`):
/// `{"kind":"send"|"subscribe","destination":"/app/x","route":"/app/**","subscription":"sub-0"
///   (subscribe only),"user":"alice","session":"node1/7","node":"node1","endpoint":"websocket",
///   "headers":{"content-type":"text/plain",…},"body":"…"}` — `body_base64` instead of `body`
/// when the body is not UTF-8.
///
/// Answer: any 2xx; an empty body means nothing to route. Otherwise a JSON object with optional
/// `messages` (each `{"destination", "body" | "body_base64", "headers", "session": "sender"}`:
/// routed like a SEND; `"session":"sender"` sends a `/user/<user>/...` message to the calling
/// session only), `answer` (`{"body" | "body_base64", "headers"}`, subscribe calls only: the one
/// MESSAGE of that subscription) and `error` (a message: the sender gets an ERROR with it).
public enum WebhookFormat {
    public static func requestBody(for call: ApplicationCall) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "destination": .string(call.destination),
            "route": .string(call.route.pattern),
            "user": .string(call.sender.user),
            "session": .string(call.sender.sessionAddress.description),
            "node": .string(call.sender.nodeID),
            "endpoint": .string(call.sender.endpoint),
            "headers": headersObject(call.headers),
        ]
        switch call.kind {
        case .send:
            fields["kind"] = .string("send")
        case .subscribe(let id):
            fields["kind"] = .string("subscribe")
            fields["subscription"] = .string(id)
        }
        addBody(call.body, to: &fields)
        return JSONValue.object(fields).encoded
    }

    /// STOMP headers as a JSON object; a repeated name keeps its first value (STOMP's rule).
    public static func headersObject(_ headers: STOMPHeaders) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for header in headers where object[header.name] == nil { object[header.name] = .string(header.value) }
        return .object(object)
    }

    /// `body` when the bytes are UTF-8 text, `body_base64` otherwise.
    public static func addBody(_ body: [UInt8], to fields: inout [String: JSONValue]) {
        if let text = String(validating: body, as: UTF8.self) {
            fields["body"] = .string(text)
        } else {
            fields["body_base64"] = .string(JSONValue.base64(body))
        }
    }

    /// What to do with a backend's HTTP answer.
    public enum Outcome: Sendable, Equatable {
        /// Route these messages (possibly none).
        case route([ApplicationReply])
        /// Answer the sender with an ERROR: the backend refused, or answered nonsense. No retry.
        case refuse(String)
        /// Try again (if attempts remain): the backend is unavailable for now.
        case retry(String)
    }

    /// Reads an answer. 408, 429 and 5xx are worth a retry; any other non-2xx is a refusal.
    public static func outcome(status: Int, body: [UInt8], call: ApplicationCall, userPrefix: String) -> Outcome {
        if status == 408 || status == 429 || status >= 500 { return .retry("HTTP \(status)") }
        guard (200..<300).contains(status) else { return .refuse("the application refused the message (HTTP \(status))") }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .route([]) }
        do throws(JSONError) {
            return try parseAnswer(JSONValue.parse(body), call: call, userPrefix: userPrefix)
        } catch {
            return .refuse("the application answered with an invalid response: \(error.message)")
        }
    }

    static func parseAnswer(_ value: JSONValue, call: ApplicationCall, userPrefix: String) throws(JSONError) -> Outcome {
        var reader = try JSONObjectReader(value)
        if let error = try reader.string("error") {
            _ = reader.value("messages")
            _ = reader.value("answer")
            return .refuse(error)
        }
        var replies: [ApplicationReply] = []
        for (index, item) in (try reader.array("messages") ?? []).enumerated() {
            var message = try JSONObjectReader(item, path: "messages[\(index)]")
            let destination = try message.requiredString("destination")
            let headers = STOMPHeaders(try message.stringMap("headers") ?? [])
            let body = try message.body()
            var toSession: SessionReply?
            if let session = try message.string("session") {
                guard session == "sender" else { throw JSONError("messages[\(index)].session must be \"sender\"") }
                toSession = SessionReply(session: call.sender.sessionAddress, subscription: nil)
            }
            try message.finish()
            replies.append(ApplicationReply(destination: destination, headers: headers, body: body, toSession: toSession))
        }
        if let answer = reader.value("answer") {
            guard case .subscribe(let subscription) = call.kind else { throw JSONError("answer is only for subscribe calls") }
            var message = try JSONObjectReader(answer, path: "answer")
            let headers = STOMPHeaders(try message.stringMap("headers") ?? [])
            let body = try message.body()
            try message.finish()
            // A session reply travels on the user's channel: /user/<name><application destination>.
            replies.append(ApplicationReply(
                destination: userPrefix + call.sender.user + call.destination, headers: headers, body: body,
                toSession: SessionReply(session: call.sender.sessionAddress, subscription: subscription)))
        }
        try reader.finish()
        return .route(replies)
    }
}
