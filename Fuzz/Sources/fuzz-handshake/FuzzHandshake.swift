import FuzzSupport
import HTTPWire
import WebSocketWire

/// WebSocketHandshake.evaluate and originAllowed, against a small reference model written here
/// from RFC 6455 §4.2 and the documented rules.
///
/// The input is parsed as HTTP requests; each head is evaluated under a policy drawn from the
/// input. Checks: the outcome's status is the one the reference expects (404, 405, 426, 426,
/// 400, 403 in that order, else 101); an accepted request carries the right
/// Sec-WebSocket-Accept (own base64 of the injected digest) and the first policy subprotocol the
/// client offered; rejections are JSON bodies. Separately the input's lines are read as an origin
/// followed by patterns, and `originAllowed` must agree with a recursive reference glob matcher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: input)
    let originChoices: [[String]] = [["*"], ["http://localhost:*"], ["https://*.example.com", "http://127.0.0.1:*"], []]
    let subprotocolChoices: [[String]] = [WebSocketHandshakePolicy.stompSubprotocols, ["v10.stomp"], []]
    let policy = WebSocketHandshakePolicy(
        paths: ["/ws", "/stomp"],
        allowedOrigins: originChoices[random.below(originChoices.count)],
        subprotocols: subprotocolChoices[random.below(subprotocolChoices.count)]
    )

    var parser = HTTPRequestParser()
    parser.feed(input)
    while let request = try? parser.next() {
        check(request.head, policy: policy)
    }
    checkOrigins(input)
    return 0
}

/// A stand-in digest: deterministic, 20 bytes, depends on every input byte.
private func fakeSHA1(_ bytes: [UInt8]) -> [UInt8] {
    var random = InputRandom(seed: bytes)
    return (0..<20).map { _ in UInt8(truncatingIfNeeded: random.next()) }
}

private func check(_ head: HTTPRequestHead, policy: WebSocketHandshakePolicy) {
    let outcome = WebSocketHandshake.evaluate(head, policy: policy, sha1: fakeSHA1)
    let expected = expectedStatus(head, policy: policy)
    switch outcome {
    case .reject(let response):
        invariant(response.status == expected, "rejected with \(response.status), expected \(expected) for \(head)")
        invariant(response.body.first == UInt8(ascii: "{") && response.body.last == UInt8(ascii: "}"), "non-JSON body")
        invariant(isValidUTF8(response.body), "body not UTF-8")
    case .accept(let response, let subprotocol):
        invariant(expected == 101, "accepted, expected \(expected) for \(head)")
        invariant(response.status == 101, "accept with status \(response.status)")
        let key = trimmed(firstValue(head, "sec-websocket-key") ?? "")
        let accept = base64(fakeSHA1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
        invariant(response.header("Sec-WebSocket-Accept") == accept, "Sec-WebSocket-Accept \(String(describing: response.header("Sec-WebSocket-Accept"))), expected \(accept)")
        let offered = offeredSubprotocols(head)
        let chosen = policy.subprotocols.first { offered.contains($0) }
        invariant(subprotocol == chosen, "chose \(String(describing: subprotocol)), expected \(String(describing: chosen))")
        invariant(response.header("Sec-WebSocket-Protocol") == chosen, "Sec-WebSocket-Protocol header disagrees")
        let encoded = response.encode()
        invariant(String(validating: encoded, as: UTF8.self)?.hasPrefix("HTTP/1.1 101 ") == true, "status line of \(hex(encoded))")
    }
}

/// The reference decision, in the documented order.
private func expectedStatus(_ head: HTTPRequestHead, policy: WebSocketHandshakePolicy) -> Int {
    guard policy.paths.contains(head.path) else { return 404 }
    guard head.method == "GET" else { return 405 }
    guard asciiTokens(head, "upgrade").contains("websocket"), asciiTokens(head, "connection").contains("upgrade") else { return 426 }
    guard firstValue(head, "sec-websocket-version").map(trimmed) == "13" else { return 426 }
    guard let key = firstValue(head, "sec-websocket-key").map(trimmed), isCanonicalSixteenByteKey(key) else { return 400 }
    if let origin = firstValue(head, "origin"), !policy.allowedOrigins.contains(where: { referenceOriginMatch(origin, $0) }) {
        return 403
    }
    return 101
}

private func lowerASCII(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}

private func lowerASCII(_ text: String) -> String {
    String(decoding: text.utf8.map(lowerASCII), as: UTF8.self)
}

private func firstValue(_ head: HTTPRequestHead, _ name: String) -> String? {
    head.headers.first { lowerASCII($0.name) == name }?.value
}

private func trimmed(_ text: String) -> String {
    var bytes = text.utf8[...]
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
    return String(decoding: bytes, as: UTF8.self)
}

/// Comma-separated list elements of every field with this name, trimmed, ASCII-lowercased
/// (RFC 9110: tokens compare case-insensitively in ASCII only).
private func asciiTokens(_ head: HTTPRequestHead, _ name: String) -> [String] {
    head.headers.filter { lowerASCII($0.name) == name }.flatMap { field in
        field.value.split(separator: ",", omittingEmptySubsequences: true).map { lowerASCII(trimmed(String($0))) }
    }
}

private func offeredSubprotocols(_ head: HTTPRequestHead) -> [String] {
    head.headers.filter { lowerASCII($0.name) == "sec-websocket-protocol" }.flatMap { field in
        field.value.split(separator: ",").map { trimmed(String($0)) }.filter { !$0.isEmpty }
    }
}

private let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// 16 bytes in canonical padded base64: 21 free characters, one whose low four bits are zero, "==".
private func isCanonicalSixteenByteKey(_ key: String) -> Bool {
    let chars = Array(key.utf8)
    guard chars.count == 24, chars[22] == UInt8(ascii: "="), chars[23] == UInt8(ascii: "=") else { return false }
    guard chars[..<22].allSatisfy(alphabet.contains), let last = alphabet.firstIndex(of: chars[21]) else { return false }
    return last & 0x0F == 0
}

private func base64(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    var bits = 0, value = 0
    for byte in bytes {
        value = value << 8 | Int(byte)
        bits += 8
        while bits >= 6 {
            bits -= 6
            out.append(alphabet[(value >> bits) & 0x3F])
        }
    }
    if bits > 0 { out.append(alphabet[(value << (6 - bits)) & 0x3F]) }
    while out.count % 4 != 0 { out.append(UInt8(ascii: "=")) }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - Origins

/// First line: an origin; each further line: a pattern. The result must match the reference.
private func checkOrigins(_ input: [UInt8]) {
    // Lines are cut to 256 bytes: the reference matcher's table is quadratic.
    let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0.prefix(256), as: UTF8.self) }
    guard let origin = lines.first else { return }
    let patterns = Array(lines.dropFirst().prefix(4))
    let actual = WebSocketHandshake.originAllowed(origin, patterns: patterns)
    let expected = patterns.contains { referenceOriginMatch(origin, $0) }
    invariant(actual == expected, "originAllowed(\(origin.debugDescription), \(patterns)) = \(actual), expected \(expected)")
}

/// `*` allows all; a trailing `:*` allows no port or any numeric port; otherwise a glob whose
/// `*` matches a run of bytes without `/`, ASCII case-insensitive.
private func referenceOriginMatch(_ origin: String, _ pattern: String) -> Bool {
    if pattern == "*" { return true }
    let subject = origin.utf8.map(lowerASCII)
    var glob = pattern.utf8.map(lowerASCII)
    guard glob.count >= 2, glob.suffix(2) == [UInt8(ascii: ":"), UInt8(ascii: "*")] else {
        return globMatch(glob[...], subject[...])
    }
    glob.removeLast(2)
    if globMatch(glob[...], subject[...]) { return true }
    for colon in subject.indices where subject[colon] == UInt8(ascii: ":") {
        let port = subject[(colon + 1)...]
        if !port.isEmpty, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), globMatch(glob[...], subject[..<colon]) {
            return true
        }
    }
    return false
}

/// Top-down matcher with memoisation (the implementation under test is a bottom-up table).
private func globMatch(_ pattern: ArraySlice<UInt8>, _ subject: ArraySlice<UInt8>) -> Bool {
    let pattern = Array(pattern), subject = Array(subject)
    // memo[i * (subject.count + 1) + j]: 0 unknown, 1 no, 2 yes, for pattern[i...] against subject[j...].
    var memo = [UInt8](repeating: 0, count: (pattern.count + 1) * (subject.count + 1))
    func matches(_ i: Int, _ j: Int) -> Bool {
        let slot = i * (subject.count + 1) + j
        if memo[slot] != 0 { return memo[slot] == 2 }
        let result: Bool
        if i == pattern.count {
            result = j == subject.count
        } else if pattern[i] == UInt8(ascii: "*") {
            // The star matches nothing, or one more byte that is not '/'.
            result = matches(i + 1, j) || (j < subject.count && subject[j] != UInt8(ascii: "/") && matches(i, j + 1))
        } else {
            result = j < subject.count && subject[j] == pattern[i] && matches(i + 1, j + 1)
        }
        memo[slot] = result ? 2 : 1
        return result
    }
    return matches(0, 0)
}
