/// Incremental HTTP/1.x request parser (server side): feed bytes as they arrive, then call `next()`
/// until it returns nil.
///
/// Every byte is scanned once, so feeding one byte at a time stays O(n). Limits are checked while
/// scanning. Bodies come with Content-Length or `Transfer-Encoding: chunked` (Node.js and
/// browsers' streaming uploads send chunked POSTs); other codings are refused with 501, and both
/// headers at once with 400 (a request-smuggling shape). After an error the parser stays failed
/// and rethrows it.
public struct HTTPRequestParser: Sendable {
    private enum Phase: Sendable {
        case requestLine
        case headers
        /// The head is complete; waiting for `length` body bytes starting at `bodyStart`.
        case body(length: Int)
        /// A chunked body: the next chunk-size line starts at `lineStart`.
        case chunkSize
        /// `size` chunk bytes and their CRLF start at `bodyStart`.
        case chunkData(size: Int)
        /// After the last chunk: trailer lines until an empty one.
        case trailers
    }

    /// A chunk-size or trailer line longer than this is malformed (sizes are a few hex digits).
    private static let maxChunkLineBytes = 1024

    private let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Where the request being parsed starts; everything before it has been returned.
    private var requestStart = 0
    /// Where the current line starts.
    private var lineStart = 0
    /// The next byte not yet examined for a line feed.
    private var scanIndex = 0
    private var bodyStart = 0
    private var phase: Phase = .requestLine
    private var failure: HTTPParseError?

    private var method = ""
    private var target = ""
    private var versionMinor = 1
    private var headers: [HTTPHeader] = []
    /// A chunked body decoded so far, and where its chunks began in `buffer`: the chunk framing
    /// (sizes, extensions, trailers) may not make the wire bytes much larger than the body limit.
    private var chunkedBody: [UInt8] = []
    private var chunkedStart = 0
    private static let maxChunkFramingBytes = 64 * 1024

    /// Creates a parser enforcing `limits`.
    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, nil if more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        compactIfWorthwhile()
        do throws(HTTPParseError) {
            return try parse()
        } catch {
            failure = error
            throw error
        }
    }

    /// Bytes held for the request being read (head and body so far), for memory accounting.
    public var bufferedByteCount: Int { buffer.count - requestStart }

    /// Bytes received after the last returned request (e.g. WebSocket frames that followed the
    /// upgrade request in the same read). Resets the parser to expect a new request.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[requestStart...])
        buffer.removeAll(keepingCapacity: false)
        requestStart = 0
        resetRequest(at: 0)
        return rest
    }

    // MARK: - Parsing

    private mutating func parse() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch phase {
            case .requestLine, .headers:
                guard let lineFeed = try scanForLineFeed() else { return nil }
                var lineEnd = lineFeed
                if lineEnd > lineStart && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let start = lineStart
                lineStart = lineFeed + 1
                scanIndex = lineStart
                if case .requestLine = phase {
                    if lineEnd == start {
                        // RFC 9112 §2.2: ignore empty lines before the request line.
                        requestStart = lineStart
                        continue
                    }
                    try parseRequestLine(start..<lineEnd)
                    phase = .headers
                } else if lineEnd == start {
                    if let request = try finishHead() { return request }
                } else {
                    try parseHeaderLine(start..<lineEnd)
                }
            case .body(let length):
                guard buffer.count - bodyStart >= length else { return nil }
                let body = Array(buffer[bodyStart..<bodyStart + length])
                return completeRequest(body: body, nextStart: bodyStart + length)
            case .chunkSize:
                guard buffer.count - chunkedStart <= limits.maxBodyBytes + Self.maxChunkFramingBytes else { throw .bodyTooLarge }
                guard let line = try nextChunkLine() else { return nil }
                let size = try Self.parseChunkSize(buffer[line])
                if size == 0 {
                    phase = .trailers
                    continue
                }
                guard size <= limits.maxBodyBytes - chunkedBody.count else { throw .bodyTooLarge }
                bodyStart = lineStart
                phase = .chunkData(size: size)
            case .chunkData(let size):
                guard buffer.count - bodyStart >= size + 2 else {
                    if buffer.count - bodyStart > size, buffer[bodyStart + size] != UInt8(ascii: "\r") { throw .invalidChunk }
                    return nil
                }
                guard buffer[bodyStart + size] == UInt8(ascii: "\r"), buffer[bodyStart + size + 1] == UInt8(ascii: "\n") else { throw .invalidChunk }
                chunkedBody.append(contentsOf: buffer[bodyStart..<bodyStart + size])
                lineStart = bodyStart + size + 2
                scanIndex = lineStart
                phase = .chunkSize
            case .trailers:
                guard buffer.count - chunkedStart <= limits.maxBodyBytes + Self.maxChunkFramingBytes else { throw .bodyTooLarge }
                guard let line = try nextChunkLine() else { return nil }
                if line.isEmpty {
                    let body = chunkedBody
                    chunkedBody = []
                    return completeRequest(body: body, nextStart: lineStart)
                }
            }
        }
    }

    /// Finds the next LF from `scanIndex`, enforcing the request line and head size limits.
    private mutating func scanForLineFeed() throws(HTTPParseError) -> Int? {
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            var index = scanIndex
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\n") { return index }
                index += 1
            }
            return nil
        }
        let isRequestLine: Bool
        if case .requestLine = phase { isRequestLine = true } else { isRequestLine = false }
        if let found {
            var contentLength = found - lineStart
            if contentLength > 0 && buffer[found - 1] == UInt8(ascii: "\r") { contentLength -= 1 }
            if isRequestLine && contentLength > limits.maxRequestLineBytes { throw .requestLineTooLong }
            // An empty line before the request line is skipped, not part of the head.
            if !(isRequestLine && contentLength == 0) && found + 1 - requestStart > limits.maxHeaderBytes {
                throw .headerSectionTooLarge
            }
            return found
        }
        scanIndex = buffer.count
        var pending = buffer.count - lineStart
        if pending > 0 && buffer[buffer.count - 1] == UInt8(ascii: "\r") { pending -= 1 }
        if isRequestLine && pending > limits.maxRequestLineBytes { throw .requestLineTooLong }
        // The line still needs at least its LF.
        if pending > 0 && buffer.count - requestStart + 1 > limits.maxHeaderBytes { throw .headerSectionTooLarge }
        return nil
    }

    private mutating func parseRequestLine(_ range: Range<Int>) throws(HTTPParseError) {
        let line = buffer[range]
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedRequestLine }
        let methodBytes = parts[0], targetBytes = parts[1], versionBytes = parts[2]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ASCII.isTokenChar) else { throw .malformedRequestLine }
        // Visible ASCII only: no controls, spaces or raw non-ASCII in a request-target.
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformedRequestLine
        }
        versionMinor = try parseVersion(versionBytes)
        method = String(decoding: methodBytes, as: UTF8.self)
        target = String(decoding: targetBytes, as: UTF8.self)
    }

    private func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard bytes.count == 8, bytes.starts(with: prefix) else { throw .malformedRequestLine }
        let major = bytes[bytes.startIndex + 5], dot = bytes[bytes.startIndex + 6], minor = bytes[bytes.startIndex + 7]
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard digits.contains(major), dot == UInt8(ascii: "."), digits.contains(minor) else {
            throw .malformedRequestLine
        }
        guard major == UInt8(ascii: "1"), minor <= UInt8(ascii: "1") else { throw .versionNotSupported }
        return Int(minor - UInt8(ascii: "0"))
    }

    private mutating func parseHeaderLine(_ range: Range<Int>) throws(HTTPParseError) {
        let line = buffer[range]
        guard let first = line.first, !ASCII.isWhitespace(first) else { throw .obsoleteLineFolding }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .invalidFieldName }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenChar) else { throw .invalidFieldName }
        var value = line[(colon + 1)...]
        while let byte = value.first, ASCII.isWhitespace(byte) { value = value.dropFirst() }
        while let byte = value.last, ASCII.isWhitespace(byte) { value = value.dropLast() }
        // field-vchar, SP, HTAB and obs-text; a stray CR, NUL or DEL is an attack or a bug.
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else { throw .invalidFieldValue }
        guard headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
        headers.append(HTTPHeader(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        ))
    }

    /// The empty line ended the head: decide the body length, or return a bodiless request.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequest? {
        var contentLength: Int?
        var chunked = false
        for field in headers {
            if ASCII.caseInsensitiveEquals(field.name, "transfer-encoding") {
                let codings = field.value.split(separator: ",").map { coding in
                    String(coding.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()).lowercased()
                }
                guard !chunked, codings == ["chunked"] else { throw .transferEncoding }
                chunked = true
                continue
            }
            guard ASCII.caseInsensitiveEquals(field.name, "content-length") else { continue }
            // RFC 9110 §8.6: repeated identical values may be accepted; differing ones may not.
            let values = field.value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            for raw in values {
                let length = try Self.parseContentLength(raw)
                if let previous = contentLength, previous != length { throw .invalidContentLength }
                contentLength = length
            }
        }
        if chunked {
            guard contentLength == nil else { throw .lengthAndChunked }
            guard versionMinor >= 1 else { throw .transferEncoding }
            chunkedBody = []
            chunkedStart = lineStart
            phase = .chunkSize
            return try parse()
        }
        let length = contentLength ?? 0
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        if length == 0 {
            return completeRequest(body: [], nextStart: lineStart)
        }
        bodyStart = lineStart
        phase = .body(length: length)
        return nil
    }

    /// Digits only (OWS around list elements allowed); saturates instead of overflowing.
    private static func parseContentLength(_ raw: Substring.UTF8View) throws(HTTPParseError) -> Int {
        var digits = raw[...]
        while let byte = digits.first, ASCII.isWhitespace(byte) { digits = digits.dropFirst() }
        while let byte = digits.last, ASCII.isWhitespace(byte) { digits = digits.dropLast() }
        guard !digits.isEmpty else { throw .invalidContentLength }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw .invalidContentLength }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            value = overflow1 || overflow2 ? Int.max : sum
        }
        return value
    }

    /// The next line of a chunked body (without CRLF), as a range of `buffer`; nil until its LF.
    private mutating func nextChunkLine() throws(HTTPParseError) -> Range<Int>? {
        guard let lineFeed = buffer[scanIndex...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanIndex = buffer.count
            if buffer.count - lineStart > Self.maxChunkLineBytes { throw .invalidChunk }
            return nil
        }
        guard lineFeed - lineStart <= Self.maxChunkLineBytes else { throw .invalidChunk }
        var end = lineFeed
        if end > lineStart, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = lineStart..<end
        lineStart = lineFeed + 1
        scanIndex = lineStart
        return line
    }

    /// Hex digits, then optional `;extensions` (ignored); saturates instead of overflowing.
    private static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var value = 0, digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw .invalidChunk }
                return value
            default: throw .invalidChunk
            }
            digits += 1
            value = digits > 15 ? Int.max : value * 16 + digit
        }
        guard digits > 0 else { throw .invalidChunk }
        return value
    }

    private mutating func completeRequest(body: [UInt8], nextStart: Int) -> HTTPRequest {
        let head = HTTPRequestHead(method: method, target: target, versionMinor: versionMinor, headers: headers)
        requestStart = nextStart
        resetRequest(at: nextStart)
        return HTTPRequest(head: head, body: body)
    }

    private mutating func resetRequest(at start: Int) {
        lineStart = start
        scanIndex = start
        bodyStart = start
        phase = .requestLine
        method = ""
        target = ""
        versionMinor = 1
        headers = []
        chunkedBody = []
    }

    /// Drops returned bytes from the front when that is cheap relative to what was consumed.
    private mutating func compactIfWorthwhile() {
        guard requestStart > 0 else { return }
        if requestStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if requestStart >= 4096 && requestStart * 2 >= buffer.count {
            buffer.removeFirst(requestStart)
        } else {
            return
        }
        lineStart -= requestStart
        scanIndex -= requestStart
        bodyStart -= requestStart
        chunkedStart = max(0, chunkedStart - requestStart)
        requestStart = 0
    }
}
