/// Bytes with a meaning in the STOMP grammar.
enum ASCII {
    static let nul: UInt8 = 0x00
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let colon: UInt8 = 0x3A
    static let backslash: UInt8 = 0x5C
    static let lowerC: UInt8 = 0x63
    static let lowerN: UInt8 = 0x6E
    static let lowerR: UInt8 = 0x72
}

/// How header names and values are written on the wire for one frame.
enum HeaderEscaping: Sendable {
    /// STOMP 1.2: `\\`, `\c`, `\n`, `\r`.
    case escaped12
    /// STOMP 1.1: `\\`, `\c`, `\n`; a CR is an ordinary byte in 1.1, so it is written as is.
    case escaped11
    /// STOMP 1.0 and the handshake frames: no escapes exist, so line breaks cannot be carried
    /// and are written as spaces (a raw LF would inject a header line).
    case raw

    /// The escaping for `command` in `version` (handshake frames are never escaped).
    init(command: STOMPCommand, version: STOMPVersion) {
        if command.isHandshake {
            self = .raw
        } else {
            switch version {
            case .v1_0: self = .raw
            case .v1_1: self = .escaped11
            case .v1_2: self = .escaped12
            }
        }
    }

    var decodesEscapes: Bool { self != .raw }

    /// Appends `text` to `out` in this escaping. Inlined so that reading the String's bytes
    /// borrows it rather than copying it (a call to retain and release it per header).
    @inline(__always)
    func append(_ text: String, to out: inout [UInt8]) {
        WireText.withUTF8(text) { append($0, to: &out) }
    }

    /// Appends the UTF-8 `bytes` of a header name or value in this escaping; text with nothing to
    /// escape (nearly all of it) is one bulk copy.
    func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let needsWork: Bool
        switch self {
        case .escaped12: needsWork = ByteSearch.containsAny(ASCII.backslash, ASCII.colon, ASCII.lf, ASCII.cr, in: bytes)
        case .escaped11: needsWork = ByteSearch.containsAny(ASCII.backslash, ASCII.colon, ASCII.lf, ASCII.lf, in: bytes)
        case .raw: needsWork = ByteSearch.containsAny(ASCII.lf, ASCII.cr, ASCII.lf, ASCII.cr, in: bytes)
        }
        guard needsWork else {
            out.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            switch (self, byte) {
            case (.raw, ASCII.lf), (.raw, ASCII.cr):
                out.append(ASCII.space)
            case (.raw, _), (.escaped11, ASCII.cr):
                out.append(byte)
            case (_, ASCII.backslash):
                out.append(ASCII.backslash); out.append(ASCII.backslash)
            case (_, ASCII.colon):
                out.append(ASCII.backslash); out.append(ASCII.lowerC)
            case (_, ASCII.lf):
                out.append(ASCII.backslash); out.append(ASCII.lowerN)
            case (_, ASCII.cr):
                out.append(ASCII.backslash); out.append(ASCII.lowerR)
            default:
                out.append(byte)
            }
        }
    }

    /// Why a header could not be unescaped: the byte after the backslash, nil for a trailing one.
    struct InvalidEscape: Error {
        let escapedByte: UInt8?
    }

    /// Decodes `bytes` as a header name or value (UTF-8; malformed sequences are repaired, not fatal).
    /// `\r` is accepted in 1.1 too: being lenient there loses nothing.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(InvalidEscape) -> String {
        guard decodesEscapes, ByteSearch.contains(ASCII.backslash, in: bytes) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var failure: InvalidEscape?
        let text = String(unsafeUninitializedCapacity: bytes.count) { out in
            var written = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                guard byte == ASCII.backslash else {
                    out[written] = byte
                    written += 1
                    continue
                }
                guard index < bytes.count else {
                    failure = InvalidEscape(escapedByte: nil)
                    return 0
                }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case ASCII.backslash: out[written] = ASCII.backslash
                case ASCII.lowerC: out[written] = ASCII.colon
                case ASCII.lowerN: out[written] = ASCII.lf
                case ASCII.lowerR: out[written] = ASCII.cr
                default:
                    failure = InvalidEscape(escapedByte: escaped)
                    return 0
                }
                written += 1
            }
            return written
        }
        if let failure { throw failure }
        return text
    }
}
