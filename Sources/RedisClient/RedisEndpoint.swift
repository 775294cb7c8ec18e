/// Where a Redis server listens, and how to log in there.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP literal (IPv6 without brackets). Names are resolved synchronously by hiredis.
    public let host: String
    /// TCP port, 1...65535.
    public let port: Int
    /// ACL user (Redis 6+); nil logs in as `default` (with `password`) or not at all.
    public let username: String?
    /// Password sent with AUTH right after every connect; never printed.
    public let password: String?
    /// Database selected after AUTH (SELECT); 0 sends nothing.
    public let database: Int

    /// The standard Redis port.
    public static let defaultPort = 6379

    /// An endpoint from its parts; `nil` for an empty host, a port outside 1...65535, a user
    /// without a password or a negative database.
    public init?(host: String, port: Int = RedisEndpoint.defaultPort, username: String? = nil, password: String? = nil, database: Int = 0) {
        guard !host.isEmpty, (1...65535).contains(port), database >= 0, username == nil || password != nil else { return nil }
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `redis://[[user]:password@]host[:port][/database]` (host may be `[ipv6]`). User and
    /// password are percent-decoded; `redis://:secret@h` is a password for the default user.
    /// Query strings are not supported and give `nil`.
    public init?(url: String) {
        let scheme = "redis://"
        guard url.hasPrefix(scheme) else { return nil }
        var rest = Substring(url.dropFirst(scheme.count))
        guard !rest.contains("?"), !rest.contains("#") else { return nil }

        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else { return nil }  // a password is required
            let user = userInfo[..<colon], secret = userInfo[userInfo.index(after: colon)...]
            guard !secret.isEmpty, let decodedSecret = Self.percentDecoded(secret) else { return nil }
            password = decodedSecret
            if !user.isEmpty {
                guard let decodedUser = Self.percentDecoded(user) else { return nil }
                username = decodedUser
            }
        }

        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard path.count <= 5, path.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(path) else { return nil }
                database = number
            }
        }
        guard !rest.isEmpty else { return nil }

        let hostPart: Substring
        let portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        } else {
            hostPart = rest
            portPart = nil
        }

        var port = RedisEndpoint.defaultPort
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let parsed = Int(portPart) else { return nil }
            port = parsed
        }
        self.init(host: String(hostPart), port: port, username: username, password: password, database: database)
    }

    /// `redis://host:port`, with `user:***@` when there are credentials and `/db` when not 0:
    /// safe to log (the password is never part of it).
    public var description: String {
        var credentials = ""
        if password != nil { credentials = "\(username ?? ""):***@" }
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return "redis://\(credentials)\(address)\(database == 0 ? "" : "/\(database)")"
    }

    /// The commands that go before anything else on a new connection: AUTH, then SELECT.
    var loginCommands: [[[UInt8]]] {
        var commands: [[[UInt8]]] = []
        if let password {
            commands.append([Array("AUTH".utf8)] + (username.map { [Array($0.utf8)] } ?? []) + [Array(password.utf8)])
        }
        if database != 0 { commands.append([Array("SELECT".utf8), Array(String(database).utf8)]) }
        return commands
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
