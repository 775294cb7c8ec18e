/// Incremental STOMP frame decoder: feed bytes as they arrive, pull events with `next()`.
///
/// Work is O(n) in the bytes fed however they are split: the parse position is kept between
/// calls, a line or body is searched only from where the previous call stopped, parsed lines are
/// dropped, and the buffer is compacted once the consumed prefix outweighs the rest.
public struct STOMPDecoder: Sendable {
    /// What the stream produced: a complete frame, or an EOL between frames (a heart-beat).
    public enum Event: Sendable, Equatable {
        case frame(STOMPFrame)
        case heartbeat
    }

    /// Where the parser stands in the current frame.
    private enum State: Sendable {
        case betweenFrames
        case commandLine
        case headerLines(STOMPCommand)
        /// `contentLength` nil: the body ends at the first NUL.
        case body(STOMPCommand, contentLength: Int?)
        case failed(STOMPWireError)
    }

    /// Result of one parse step.
    private enum Step {
        case needMoreData
        case continueParsing
        case event(Event)
    }

    public let limits: STOMPLimits
    /// The negotiated version; governs CRLF and escaping. The session sets it after CONNECT.
    public var version: STOMPVersion = .v1_2

    private var state: State = .betweenFrames
    private var buffer: [UInt8] = []
    /// Index of the first byte not yet turned into a value: the start of the current line or body.
    private var consumed = 0
    /// Index up to which the current line or NUL-terminated body has already been searched.
    private var scanned = 0
    /// Stream offset of `buffer[0]`; compaction moves it forward.
    private var bufferOffset = 0
    /// Stream offset of the current frame's first byte, for the frame size limit.
    private var frameStart = 0
    private var headers = STOMPHeaders()
    /// The current frame's first `receipt` value, reported with errors.
    private var receipt: String?
    /// Index in `headers` of the current frame's first `content-length`, still unparsed.
    private var contentLengthIndex: Int?

    /// A decoder enforcing `limits`.
    public init(limits: STOMPLimits = .init()) {
        self.limits = limits
    }

    /// Bytes fed but not yet consumed by the parser.
    public var bufferedByteCount: Int { buffer.count - consumed }

    /// Memory the decoder holds for unconsumed input: its buffer's capacity while any byte waits
    /// (a growing buffer may hold up to twice what it was fed), nothing when all was consumed.
    public var heldByteCount: Int { buffer.count > consumed ? buffer.capacity : 0 }

    /// Drops consumed bytes now rather than at the next `feed`, so a big frame's buffer goes
    /// back to the allocator as soon as the frame was taken (a connection may stay quiet for long).
    public mutating func releaseConsumedBytes() {
        if consumed == buffer.count { compactIfWorthwhile() }
    }

    /// A frame has started and is not complete (bytes after the last frame other than heart-beat EOLs).
    public var isInsideFrame: Bool {
        if case .betweenFrames = state { return consumed < buffer.count && buffer[consumed] != ASCII.lf && buffer[consumed] != ASCII.cr }
        if case .failed = state { return false }
        return true
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !isFailed else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: [UInt8]) {
        guard !bytes.isEmpty, !isFailed else { return }
        compactIfWorthwhile()
        if buffer.isEmpty {
            buffer = bytes
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Next complete event, nil when more bytes are needed. After a throw the decoder is dead (further calls throw again).
    public mutating func next() throws(STOMPWireError) -> Event? {
        while true {
            let step: Step
            switch state {
            case .failed(let error):
                throw error
            case .betweenFrames:
                step = parseBetweenFrames()
            case .commandLine:
                step = try parseCommandLine()
            case .headerLines(let command):
                step = try parseHeaderLine(of: command)
            case .body(let command, let contentLength):
                step = try parseBody(of: command, contentLength: contentLength)
            }
            switch step {
            case .needMoreData: return nil
            case .continueParsing: continue
            case .event(let event): return event
            }
        }
    }

    // MARK: - Parse steps

    private mutating func parseBetweenFrames() -> Step {
        guard consumed < buffer.count else { return .needMoreData }
        switch buffer[consumed] {
        case ASCII.lf:
            consume(through: consumed)
            return .event(.heartbeat)
        case ASCII.cr:
            guard consumed + 1 < buffer.count else { return .needMoreData }
            if buffer[consumed + 1] == ASCII.lf {
                consume(through: consumed + 1)
                return .event(.heartbeat)
            }
        default:
            break
        }
        frameStart = bufferOffset + consumed
        headers = STOMPHeaders()
        receipt = nil
        contentLengthIndex = nil
        state = .commandLine
        return .continueParsing
    }

    private mutating func parseCommandLine() throws(STOMPWireError) -> Step {
        // CR is allowed here whatever the version: CONNECT comes before negotiation.
        guard let line = try scanLine(allowingCR: true) else { return .needMoreData }
        var end = line.upperBound
        let hadCR = end > line.lowerBound && buffer[end - 1] == ASCII.cr
        if hadCR { end -= 1 }
        let matched = buffer.withUnsafeBufferPointer { bytes in
            STOMPCommand(wireName: UnsafeBufferPointer(rebasing: bytes[line.lowerBound..<end]))
        }
        guard let command = matched, !hadCR || acceptsCRLF(in: command) else {
            throw fail(.unknownCommand, "unknown command '\(printable(line))'")
        }
        consume(through: line.upperBound)
        state = .headerLines(command)
        return .continueParsing
    }

    private mutating func parseHeaderLine(of command: STOMPCommand) throws(STOMPWireError) -> Step {
        let allowsCR = acceptsCRLF(in: command)
        if headers.count >= limits.maxHeaders {
            // Refuse the first byte of one header too many, unless the line is the blank one.
            guard consumed < buffer.count else { return .needMoreData }
            var isBlank = buffer[consumed] == ASCII.lf
            if allowsCR && buffer[consumed] == ASCII.cr {
                guard consumed + 1 < buffer.count else { return .needMoreData }
                isBlank = buffer[consumed + 1] == ASCII.lf
            }
            guard isBlank else {
                throw fail(.tooManyHeaders, "too many headers (limit \(limits.maxHeaders))")
            }
        }
        guard let line = try scanLine(allowingCR: allowsCR) else { return .needMoreData }
        var end = line.upperBound
        if allowsCR && end > line.lowerBound && buffer[end - 1] == ASCII.cr { end -= 1 }
        guard end > line.lowerBound else {
            consume(through: line.upperBound)
            return try beginBody(of: command)
        }
        let index = headers.count
        let lineRange = line.lowerBound..<end
        // Most frames have a handful of headers: one allocation instead of growing 1, 2, 4, 8.
        if headers.isEmpty { headers.reserveCapacity(min(8, limits.maxHeaders)) }
        let escaping = HeaderEscaping(command: command, version: version)
        let refusal: HeaderLineError? = buffer.withUnsafeBufferPointer { bytes in
            do throws(HeaderLineError) {
                try Self.appendHeader(UnsafeBufferPointer(rebasing: bytes[lineRange]), escaping, to: &headers)
                return nil
            } catch {
                return error
            }
        }
        if let refusal {
            switch refusal {
            case .missingColon:
                throw fail(.malformedHeader, "header line without ':'")
            case .emptyName:
                throw fail(.malformedHeader, "header line with an empty name")
            case .invalidEscape(let invalid):
                let message = invalid.escapedByte.map { "invalid escape sequence '\\\(printable(byte: $0))' in header" }
                    ?? "header ends with a lone backslash"
                throw fail(.invalidEscape, message)
            }
        }
        // The two headers the decoder itself needs, told apart by their decoded name's bytes.
        switch headers.nameByteCount(at: index) {
        case 7 where receipt == nil && headers.withName(at: index, { $0.spells("receipt") }):
            receipt = headers.value(at: index)
        case 14 where contentLengthIndex == nil && headers.withName(at: index, { $0.spells("content-length") }):
            contentLengthIndex = index
        default:
            break
        }
        consume(through: line.upperBound)
        return .continueParsing
    }

    /// Why a header line was refused.
    private enum HeaderLineError: Error {
        case missingColon, emptyName
        case invalidEscape(HeaderEscaping.InvalidEscape)
    }

    /// Splits `name:value` (line ending removed) at the first colon and appends the decoded
    /// header. A line of ASCII without escapes (nearly every line) is its own decoding and is
    /// copied as it is; others are unescaped, and malformed UTF-8 is repaired, through Strings.
    private static func appendHeader(
        _ line: UnsafeBufferPointer<UInt8>, _ escaping: HeaderEscaping, to headers: inout STOMPHeaders
    ) throws(HeaderLineError) {
        let traits = ByteSearch.traits(of: line)
        guard let colon = traits.colon else { throw .missingColon }
        guard colon > 0 else { throw .emptyName }
        if !traits.hasNonASCII && !(traits.hasBackslash && escaping.decodesEscapes) {
            headers.append(line: line, colon: colon, isPlain: !traits.hasBackslash && !traits.mayNeedEscaping)
            return
        }
        do throws(HeaderEscaping.InvalidEscape) {
            let name = try escaping.decode(UnsafeBufferPointer(rebasing: line[..<colon]))
            let value = try escaping.decode(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
            headers.append(name: name, value: value)
        } catch {
            throw .invalidEscape(error)
        }
    }

    /// Called after the blank line: checks the declared body size before any body byte arrives.
    private mutating func beginBody(of command: STOMPCommand) throws(STOMPWireError) -> Step {
        var contentLength: Int?
        if let contentLengthIndex {
            guard let length = headers.withValue(at: contentLengthIndex, Self.parseContentLength) else {
                throw fail(.invalidContentLength, "content-length '\(headers.value(at: contentLengthIndex).prefix(32))' is not a non-negative integer")
            }
            guard length <= limits.maxBodyBytes else {
                throw fail(.bodyTooLarge, "content-length \(headers.value(at: contentLengthIndex).prefix(32)) exceeds the body limit of \(limits.maxBodyBytes) bytes")
            }
            let headBytes = bufferOffset + consumed - frameStart
            guard headBytes + length <= limits.maxFrameBytes else {
                throw fail(.frameTooLarge, "frame exceeds \(limits.maxFrameBytes) bytes")
            }
            contentLength = length
        }
        state = .body(command, contentLength: contentLength)
        return .continueParsing
    }

    private mutating func parseBody(of command: STOMPCommand, contentLength: Int?) throws(STOMPWireError) -> Step {
        let bodyStart = consumed
        let bodyEnd: Int
        if let contentLength {
            guard buffer.count - bodyStart > contentLength else { return .needMoreData }
            bodyEnd = bodyStart + contentLength
            guard buffer[bodyEnd] == ASCII.nul else {
                throw fail(.missingNullTerminator, "frame not terminated by NUL after \(contentLength) body bytes")
            }
        } else {
            // Never search further than either limit allows, so an oversized body fails promptly.
            let frameLimitIndex = frameStart - bufferOffset + limits.maxFrameBytes + 1
            let searchEnd = min(buffer.count, bodyStart + limits.maxBodyBytes + 1, frameLimitIndex)
            let searchStart = max(scanned, bodyStart)
            let nul: Int? = buffer.withUnsafeBufferPointer { bytes in
                guard searchStart < searchEnd else { return nil }
                return ByteSearch.firstIndex(of: ASCII.nul, in: UnsafeBufferPointer(rebasing: bytes[searchStart..<searchEnd])).map { $0 + searchStart }
            }
            guard let nul else {
                scanned = max(searchStart, searchEnd)
                if scanned - bodyStart > limits.maxBodyBytes {
                    throw fail(.bodyTooLarge, "body exceeds \(limits.maxBodyBytes) bytes")
                }
                if bufferOffset + scanned - frameStart > limits.maxFrameBytes {
                    throw fail(.frameTooLarge, "frame exceeds \(limits.maxFrameBytes) bytes")
                }
                return .needMoreData
            }
            bodyEnd = nul
        }
        let body = buffer.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[bodyStart..<bodyEnd])) }
        let frame = STOMPFrame(command: command, headers: headers, body: body)
        headers = STOMPHeaders()
        receipt = nil
        contentLengthIndex = nil
        consume(through: bodyEnd)
        state = .betweenFrames
        return .event(.frame(frame))
    }

    // MARK: - Helpers

    /// Finds the LF ending the line that starts at `consumed`, searching only new bytes.
    /// Returns the line without its LF, or nil when the LF has not arrived yet.
    /// The length limit is checked before the LF arrives; a final CR is not counted when `allowingCR`.
    private mutating func scanLine(allowingCR: Bool) throws(STOMPWireError) -> Range<Int>? {
        let lineStart = consumed
        let maxLine = limits.maxHeaderLineBytes
        // Content may be maxLine bytes plus a CR, then the LF: nothing beyond needs searching.
        let searchEnd = min(buffer.count, lineStart + maxLine + 2)
        let searchStart = max(scanned, lineStart)
        let lf: Int? = buffer.withUnsafeBufferPointer { bytes in
            guard searchStart < searchEnd else { return nil }
            return ByteSearch.firstIndex(of: ASCII.lf, in: UnsafeBufferPointer(rebasing: bytes[searchStart..<searchEnd])).map { $0 + searchStart }
        }
        guard let lf else {
            scanned = max(searchStart, searchEnd)
            let pending = scanned - lineStart
            let mayEndWithCRLF = allowingCR && pending == maxLine + 1 && buffer[scanned - 1] == ASCII.cr
            if pending > maxLine && !mayEndWithCRLF {
                throw fail(.headerLineTooLong, "header line exceeds \(maxLine) bytes")
            }
            if bufferOffset + scanned - frameStart > limits.maxFrameBytes {
                throw fail(.frameTooLarge, "frame exceeds \(limits.maxFrameBytes) bytes")
            }
            return nil
        }
        var length = lf - lineStart
        if allowingCR && length > 0 && buffer[lf - 1] == ASCII.cr { length -= 1 }
        if length > maxLine {
            throw fail(.headerLineTooLong, "header line exceeds \(maxLine) bytes")
        }
        if bufferOffset + lf + 1 - frameStart > limits.maxFrameBytes {
            throw fail(.frameTooLarge, "frame exceeds \(limits.maxFrameBytes) bytes")
        }
        return lineStart..<lf
    }

    /// 1.2 accepts CRLF everywhere; handshake frames accept it in every version.
    private func acceptsCRLF(in command: STOMPCommand) -> Bool {
        version == .v1_2 || command.isHandshake
    }

    /// Marks everything up to and including `index` as consumed.
    private mutating func consume(through index: Int) {
        consumed = index + 1
        scanned = consumed
    }

    private var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    /// Enters the dead state and returns the error to throw.
    private mutating func fail(_ kind: STOMPWireError.Kind, _ message: String) -> STOMPWireError {
        let error = STOMPWireError(kind: kind, message: message, receipt: receipt)
        state = .failed(error)
        return error
    }

    /// Drops the consumed prefix once it is at least half the buffer (amortised O(1) per byte);
    /// an emptied buffer keeps its capacity only if it is small, so an idle connection stays cheap.
    private mutating func compactIfWorthwhile() {
        guard consumed > 0 else { return }
        if consumed == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
        } else if consumed >= 4096 && consumed * 2 >= buffer.count {
            buffer.removeFirst(consumed)
        } else {
            return
        }
        bufferOffset += consumed
        scanned -= consumed
        consumed = 0
    }

    /// Digits only, no sign or spaces. Values too big for Int saturate (they fail the body limit).
    static func parseContentLength(_ text: String) -> Int? {
        WireText.withUTF8(text, parseContentLength)
    }

    /// `parseContentLength` of the value's bytes.
    static func parseContentLength(_ digits: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value > (Int.max - 9) / 10 ? Int.max : value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The bytes of `range` for an error message: printable ASCII kept, others as \xNN, at most 64 bytes.
    private func printable(_ range: Range<Int>) -> String {
        var text = ""
        for byte in buffer[range].prefix(64) { text += printable(byte: byte) }
        return range.count > 64 ? text + "..." : text
    }

    private func printable(byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        let hex = String(byte, radix: 16, uppercase: true)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
