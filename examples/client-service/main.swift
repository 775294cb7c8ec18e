// A backend service on the Swift client: answers `/app/echo` to the asking session only and
// pushes every call to the caller's user (all their sessions) on `/user/<name>/queue/notes`.
//
//   stampede --set applications.service-users=svc &
//   swift run stampede-client-example stomp://127.0.0.1:61613 &
//   stampede request --login alice /app/echo hello        # prints "echo: hello"
import STOMPClientSession
import StampedeClient

let url = CommandLine.arguments.dropFirst().first ?? "stomp://127.0.0.1:61613"
let client = try StampedeClient(url: url, options: .init(login: "svc", retryFirstConnect: true))
try await client.connect()
let calls = try await client.subscribe("/app/**", ack: .client)
print("answering /app/** at \(url)")
for try await call in calls {
    let user = call["app-user"] ?? ""
    if call.destination == "/app/echo", let session = call["app-session"] {
        var headers = ["reply-to-session": session]
        headers["correlation-id"] = call["correlation-id"]
        try await client.send("echo: \(call.bodyText)", to: "/user/\(user)/queue/replies", headers: headers)
    }
    if !user.isEmpty {
        try await client.send("you called \(call.destination)", to: "/user/\(user)/queue/notes")
    }
    try await client.ack(call)
}
