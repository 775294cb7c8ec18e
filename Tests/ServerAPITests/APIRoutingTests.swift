import Applications
import HTTPWire
import JSONMessages
import ServerAPI
import XCTest

final class APIRoutingTests: XCTestCase {
    let policy = APIPolicy(keys: ["k-one", "k-two"], maxBatch: 3)

    func request(_ method: String, _ target: String, _ body: String = "", key: String? = "k-two") -> HTTPRequest {
        var headers: [HTTPHeader] = []
        if let key { headers.append(HTTPHeader(name: "Authorization", value: "apikey \(key)")) }
        return HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: headers), body: Array(body.utf8))
    }

    func route(_ request: HTTPRequest) -> Result<APIOperation, APIError> { APIRouting.route(request, policy: policy) }

    func error(_ request: HTTPRequest) -> APIError? {
        if case .failure(let error) = route(request) { return error }
        return nil
    }

    func testPublishSendAndBroadcastBecomeMessages() {
        XCTAssertEqual(try route(request("POST", "/api/publish", #"{"destination":"/topic/a","body":"hi","headers":{"k":"v"}}"#)).get(),
                       .route([APIMessage(destination: "/topic/a", headers: [.init(name: "k", value: "v")], body: Array("hi".utf8))]))
        XCTAssertEqual(try route(request("POST", "/api/send", #"{"user":"bob","destination":"/queue/n","body_base64":"AAE="}"#)).get(),
                       .route([APIMessage(destination: "/user/bob/queue/n", headers: [], body: [0, 1])]))
        XCTAssertEqual(try route(request("POST", "/api/broadcast", #"{"destinations":["/topic/a","/queue/b"],"body":"x"}"#)).get(),
                       .route([APIMessage(destination: "/topic/a", headers: [], body: [120]), APIMessage(destination: "/queue/b", headers: [], body: [120])]))
    }

    func testBatchMixesOperationsUpToTheLimit() {
        let batch = #"{"operations":[{"publish":{"destination":"/topic/a"}},{"send":{"user":"u","destination":"/queue/q","body":"b"}}]}"#
        XCTAssertEqual(try route(request("POST", "/api/batch", batch)).get(), .route([
            APIMessage(destination: "/topic/a", headers: [], body: []), APIMessage(destination: "/user/u/queue/q", headers: [], body: Array("b".utf8)),
        ]))
        let tooMany = #"{"operations":[{"broadcast":{"destinations":["/topic/a","/topic/b","/topic/c","/topic/d"]}}]}"#
        XCTAssertEqual(error(request("POST", "/api/batch", tooMany))?.status, 400)
        XCTAssertEqual(error(request("POST", "/api/batch", #"{"operations":[{"delete":{}}]}"#))?.message, "operations[0]: unknown operation 'delete' (publish, send or broadcast)")
    }

    func testQueriesAndDisconnects() {
        XCTAssertEqual(try route(request("GET", "/api/status?offset=5&limit=2")).get(), .status(offset: 5, limit: 2))
        XCTAssertEqual(try route(request("GET", "/api/status")).get(), .status(offset: 0, limit: 100))
        XCTAssertEqual(try route(request("GET", "/api/users/b%C3%B6b")).get(), .presence(user: "böb"))
        XCTAssertEqual(try route(request("GET", "/api/subscribers?destination=%2Ftopic%2Fa&users=true")).get(), .subscribers(destination: "/topic/a", users: true))
        XCTAssertEqual(try route(request("POST", "/api/disconnect", #"{"session":"n-1/7","reason":"bye"}"#)).get(),
                       .disconnectSession(SessionAddress(nodeID: "n-1", sessionID: 7), reason: "bye"))
        XCTAssertEqual(try route(request("POST", "/api/disconnect", #"{"user":"bob"}"#)).get(), .disconnectUser("bob", reason: "disconnected by the server"))
    }

    func testAuthenticationComesBeforeMethodAndBody() {
        XCTAssertEqual(error(request("POST", "/api/publish", "{", key: nil))?.status, 401)
        XCTAssertEqual(error(request("POST", "/api/publish", "{", key: "k-three"))?.status, 401)
        XCTAssertEqual(error(request("POST", "/api/publish", "{", key: "k-one-and-more"))?.status, 401)
        XCTAssertEqual(error(request("GET", "/api/publish", "", key: "k-one"))?.status, 405)
        XCTAssertEqual(error(request("GET", "/api/nothing"))?.status, 404)
        let open = APIPolicy(keys: [])
        XCTAssertEqual(try APIRouting.route(request("GET", "/api/status", key: nil), policy: open).get(), .status(offset: 0, limit: 100),
                       "without keys (loopback only) no key is needed")
    }

    func testBadInputIsA400NamingTheProblem() {
        let cases: [(String, String, String)] = [
            ("/api/publish", "{", "the body is not valid JSON"),
            ("/api/publish", "[]", "the body must be a JSON object, not an array"),
            ("/api/publish", #"{"destination":"/topic/a","extra":1}"#, "unknown field extra"),
            ("/api/publish", #"{"destination":"/app/x"}"#, "destination '/app/x' must start with /topic/, /queue/ or /user/"),
            ("/api/publish", #"{"destination":"/topic/a.*"}"#, "destination '/topic/a.*' must not contain wildcards, spaces or line breaks"),
            ("/api/publish", #"{"destination":"/topic/a","headers":{"message-id":"x"}}"#, "header 'message-id' is set by the server"),
            ("/api/publish", #"{"destination":"/topic/a","body":"a","body_base64":"AA=="}"#, "give body or body_base64, not both"),
            ("/api/publish", #"{"destination":7}"#, "destination must be a string, not a number"),
            ("/api/send", #"{"user":"a/b","destination":"/queue/x"}"#, "user 'a/b' is not a user name"),
            ("/api/send", #"{"user":"a","destination":"queue"}"#, "destination 'queue' must be the user's destination such as /queue/notifications"),
            ("/api/disconnect", #"{"session":"x","user":"y"}"#, "give exactly one of session or user"),
            ("/api/disconnect", #"{"session":"nonode"}"#, "session 'nonode' is not <node>/<session>"),
        ]
        for (path, body, message) in cases {
            let refusal = error(request("POST", path, body))
            XCTAssertEqual(refusal?.status, 400, body)
            XCTAssertEqual(refusal?.message, message, body)
        }
        XCTAssertEqual(error(request("GET", "/api/status?limit=0"))?.message, "limit must be an integer from 1 to 1000")
        XCTAssertEqual(error(request("GET", "/api/status?page=2"))?.message, "unknown query parameter 'page'")
        XCTAssertEqual(error(request("GET", "/api/subscribers?destination=/queue/x"))?.status, 400)
    }

    func testResponses() throws {
        let status = APIResponses.status(users: ["b": 1, "a": 2, "c": 1], offset: 1, limit: 1)
        XCTAssertEqual(try JSONValue.parse(status.body), .object([
            "online_count": .integer(3), "sessions_count": .integer(4), "online_users": .array([.string("b")]),
            "offset": .integer(1), "limit": .integer(1),
        ]))
        XCTAssertEqual(status.header("content-type"), "application/json")
    }
}
