internal import Admin
internal import Glibc

/// Why the admin endpoint could not be asked; `description` is the one line printed on stderr.
struct ClusterClientError: Error, Equatable, CustomStringConvertible {
    let description: String
}

/// Where a node's admin endpoint is: `http://host[:port][/prefix]` (port 80 when omitted, as
/// URLs go; IPv6 in brackets); the prefix is kept for endpoints behind a reverse proxy.
struct ClusterAdminURL: Equatable {
    var host: String
    var port: Int
    var pathPrefix: String

    init(host: String, port: Int, pathPrefix: String = "") {
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    init(parsing text: String) throws(ClusterClientError) {
        func invalid(_ why: String) -> ClusterClientError {
            ClusterClientError(description: "invalid --admin URL '\(text)': \(why)")
        }
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid("expected http://host:port") }
        guard text[..<schemeEnd.lowerBound].lowercased() == "http" else {
            throw invalid("only http:// is supported (the admin endpoint speaks plain HTTP)")
        }
        let rest = text[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var prefix = String(rest[slash...])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        guard !authority.contains("@") else { throw invalid("credentials in the URL are not supported; use --token") }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unclosed '['") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after ']'") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw invalid("no host") }
        var port = 80
        if let portText {
            guard let value = Int(portText), portText.allSatisfy(\.isASCII), (1...65_535).contains(value) else {
                throw invalid("port must be 1-65535")
            }
            port = value
        }
        self.init(host: String(hostPart), port: port, pathPrefix: prefix)
    }

    /// `host:port`, with IPv6 in brackets (also the Host header).
    var authority: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `http://host:port/prefix` as typed back to the operator.
    var display: String { "http://\(authority)\(pathPrefix)" }
}

/// A response as the client received it.
struct ClusterHTTPResponse: Equatable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    static func == (a: ClusterHTTPResponse, b: ClusterHTTPResponse) -> Bool {
        a.status == b.status && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// The first header with this name (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Parses a whole `Connection: close` response: status line, headers, then the body
    /// (Content-Length bytes, or everything up to the close).
    static func parse(_ bytes: [UInt8]) throws(ClusterClientError) -> ClusterHTTPResponse {
        let malformed = ClusterClientError(description: "the admin endpoint did not answer with HTTP")
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = firstIndex(of: separator, in: bytes) else { throw malformed }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { throw malformed }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            throw malformed
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw malformed }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value)))
        }
        var body = Array(bytes[(headEnd + separator.count)...])
        let response = ClusterHTTPResponse(status: status, headers: headers, body: [])
        if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else { throw malformed }
            guard body.count >= length else {
                throw ClusterClientError(description: "the admin endpoint's answer was cut short (\(body.count) of \(length) bytes)")
            }
            body.removeLast(body.count - length)
        }
        return ClusterHTTPResponse(status: status, headers: headers, body: body)
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// A tiny blocking HTTP/1.1 GET over a socket, for the CLI (the node's loop is not involved).
struct ClusterAdminClient {
    /// Responses larger than this are refused (a cluster view is far smaller).
    static let maxResponseBytes = 64 << 20

    var url: ClusterAdminURL
    var token: String?
    var timeoutSeconds: Double = 5

    /// GETs `path` (below the URL's prefix) with `Connection: close` and reads until the server closes.
    func get(_ path: String) throws(ClusterClientError) -> ClusterHTTPResponse {
        let socket = try connect()
        defer { close(socket) }
        var request = "GET \(url.pathPrefix)\(path) HTTP/1.1\r\n"
        request += "Host: \(url.authority)\r\n"
        request += "User-Agent: stampede-cli\r\nAccept: application/json\r\nConnection: close\r\n"
        if let token, !token.isEmpty { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        try send(Array(request.utf8), on: socket)
        return try ClusterHTTPResponse.parse(receiveAll(from: socket))
    }

    private func failure(_ what: String, _ code: Int32) -> ClusterClientError {
        let reason: String
        switch code {
        case EAGAIN, EINPROGRESS, ETIMEDOUT: reason = "no answer within \(Self.formatSeconds(timeoutSeconds)) s"
        default: reason = String(cString: strerror(code))
        }
        var hint = ""
        if code == ECONNREFUSED { hint = " (is a node running there with admin.port set?)" }
        return ClusterClientError(description: "\(what) \(url.display): \(reason.lowercased())\(hint)")
    }

    /// Resolves the host (names too) and connects to the first address that answers.
    private func connect() throws(ClusterClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(url.host, String(url.port), &hints, &list)
        guard status == 0, let first = list else {
            throw ClusterClientError(description: "cannot resolve \(url.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            setTimeouts(fd)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno
            close(fd)
        }
        throw failure("cannot connect to", lastError)
    }

    /// Linux applies SO_SNDTIMEO to connect as well, so one pair bounds every blocking call.
    private func setTimeouts(_ fd: Int32) {
        let whole = max(timeoutSeconds, 0.001)
        var time = timeval(tv_sec: Int(whole), tv_usec: Int((whole - whole.rounded(.down)) * 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, size)
    }

    private func send(_ bytes: [UInt8], on fd: Int32) throws(ClusterClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("cannot send the request to", errno)
            }
            offset += written
        }
    }

    private func receiveAll(from fd: Int32) throws(ClusterClientError) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return received }
            if count < 0 {
                if errno == EINTR { continue }
                // A reset after a complete answer (the server closed with unread input) is fine.
                if errno == ECONNRESET, (try? ClusterHTTPResponse.parse(received)) != nil { return received }
                throw failure("no complete answer from", errno)
            }
            received.append(contentsOf: chunk[..<count])
            guard received.count <= Self.maxResponseBytes else {
                throw ClusterClientError(description: "the answer from \(url.display) is larger than \(Self.maxResponseBytes) bytes")
            }
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e9 ? String(Int(seconds)) : String(seconds)
    }
}
