/// Where an endpoint looks for a token (`listen.endpoints.<name>.token-sources`).
public enum TokenSource: String, Sendable, CaseIterable {
    /// `?access_token=` (or the configured name) in the handshake URL: browsers and SockJS
    /// cannot set headers on a WebSocket.
    case query
    /// `Authorization: Bearer …` at the handshake.
    case bearer
    /// A named cookie at the handshake.
    case cookie
    /// STOMP CONNECT: `passcode` (with or without `login`), a `token` header, or `Authorization: Bearer …`.
    case connect
}

/// Finds a token in what a client sent. Pure: values in, the token text out.
public struct TokenExtraction: Sendable, Equatable {
    public var sources: Set<TokenSource>
    public var queryParameter: String
    public var cookieName: String

    public init(sources: Set<TokenSource>, queryParameter: String = "access_token", cookieName: String = "stampede_token") {
        self.sources = sources
        self.queryParameter = queryParameter
        self.cookieName = cookieName
    }

    /// The token of a WebSocket handshake: query, then Bearer header, then cookie (as enabled).
    /// `header` looks up a request header by name.
    public func fromHandshake(query: String?, header: (String) -> String?) -> String? {
        if sources.contains(.query), let query, let token = Self.parameter(queryParameter, in: query) { return token }
        if sources.contains(.bearer), let value = header("authorization"), let token = Self.bearer(value) { return token }
        if sources.contains(.cookie), let value = header("cookie"), let token = Self.cookie(cookieName, in: value) { return token }
        return nil
    }

    /// The token of a CONNECT frame: a `token` header, `Authorization: Bearer`, else the passcode.
    public func fromConnect(passcode: String?, header: (String) -> String?) -> String? {
        guard sources.contains(.connect) else { return nil }
        if let token = header("token"), !token.isEmpty { return token }
        if let value = header("Authorization") ?? header("authorization"), let token = Self.bearer(value) { return token }
        if let passcode, !passcode.isEmpty { return passcode }
        return nil
    }

    static func bearer(_ value: String) -> String? {
        let trimmed = value.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    /// A query parameter's value, percent-decoded (`+` is not a space in tokens).
    public static func parameter(_ name: String, in query: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name[...], let value = percentDecoded(parts[1]), !value.isEmpty else { continue }
            return value
        }
        return nil
    }

    static func cookie(_ name: String, in header: String) -> String? {
        for item in header.split(separator: ";") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].trimmingSpaces == name else { continue }
            var value = parts[1].trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
