import Foundation

/// One blocking HTTP/1.1 GET over loopback for tests: status and body.
func httpGet(port: Int, path: String, headers: [String: String] = [:]) throws -> (status: Int, body: String) {
    let client = try TestClient(port: port)
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    try client.sendRaw(Array(request.utf8))
    let (status, responseHeaders, leftover) = try client.readHTTPResponse()
    var body = leftover
    let length = Int(responseHeaders["content-length"] ?? "") ?? 0
    while body.count < length { body += try client.readRaw() }
    return (status, String(decoding: body, as: UTF8.self))
}

/// JSON object of an admin response.
func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
}
