/// One SockJS frame server → client (sockjs-protocol 0.3.3): open `o`, heartbeat `h`, messages
/// `a["…","…"]`, close `c[code,"reason"]`. Transports wrap these (newline, `data: `, a script tag).
public enum SockJSFrame: Sendable, Equatable {
    case open
    case heartbeat
    case messages([String])
    case close(code: Int, reason: String)

    /// "Another connection still open": a second receiving request on one session (2010).
    public static let anotherConnectionOpen = SockJSFrame.close(code: 2010, reason: "Another connection still open")
    /// The session was closed by the server (3000, sockjs-node's "Go away!").
    public static let goAway = SockJSFrame.close(code: 3000, reason: "Go away!")
    /// The receiving request ended before the session did (1002).
    public static let interrupted = SockJSFrame.close(code: 1002, reason: "Connection interrupted")

    /// The frame's text.
    public var text: String {
        switch self {
        case .open: return "o"
        case .heartbeat: return "h"
        case .messages(let messages):
            var out = "a["
            for (index, message) in messages.enumerated() {
                if index > 0 { out += "," }
                out += SockJSJSON.quote(message)
            }
            return out + "]"
        case .close(let code, let reason):
            return "c[\(code),\(SockJSJSON.quote(reason))]"
        }
    }
}

/// JSON as SockJS uses it: string quoting with the protocol's extra escapes, and the decoding of
/// the client's `["message", …]` payloads.
public enum SockJSJSON {
    /// A JSON string literal. Besides JSON's mandatory escapes, the characters some browsers
    /// mangle or treat as line ends (U+200C–U+200F, U+2028–U+202F, U+2060–U+206F, U+FFF0–U+FFFF)
    /// are sent as `\uXXXX`, as sockjs-protocol's `escapable_by_server` expects.
    public static func quote(_ string: String) -> String {
        var out = "\""
        out.unicodeScalars.reserveCapacity(string.unicodeScalars.count + 2)
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x00...0x1F, 0x200C...0x200F, 0x2028...0x202F, 0x2060...0x206F, 0xFFF0...0xFFFF:
                out += unicodeEscape(scalar.value)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = "\\u"
        for shift in stride(from: 12, through: 0, by: -4) {
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(value >> UInt32(shift) & 0xF)]))
        }
        return out
    }

    /// Why a client payload was refused (the texts the protocol tests look for, answered 500).
    public enum DecodeError: Error, Sendable, Equatable {
        /// Empty body (`Payload expected.`).
        case payloadExpected
        /// Not a JSON array of strings (`Broken JSON encoding.`).
        case brokenJSON

        public var message: String {
            switch self {
            case .payloadExpected: return "Payload expected."
            case .brokenJSON: return "Broken JSON encoding."
            }
        }
    }

    /// Decodes a client payload: a JSON array of strings (`[]` is allowed and yields nothing). A
    /// single JSON string is accepted too (the raw `websocket` transport of some clients sends one).
    public static func decodeMessages(_ bytes: [UInt8]) -> Result<[String], DecodeError> {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        guard !parser.atEnd else { return .failure(.payloadExpected) }
        var messages: [String] = []
        if parser.peek == UInt8(ascii: "\"") {
            guard let single = parser.string() else { return .failure(.brokenJSON) }
            messages.append(single)
        } else {
            guard parser.consume(UInt8(ascii: "[")) else { return .failure(.brokenJSON) }
            parser.skipWhitespace()
            if !parser.consume(UInt8(ascii: "]")) {
                while true {
                    parser.skipWhitespace()
                    guard let message = parser.string() else { return .failure(.brokenJSON) }
                    messages.append(message)
                    parser.skipWhitespace()
                    if parser.consume(UInt8(ascii: ",")) { continue }
                    guard parser.consume(UInt8(ascii: "]")) else { return .failure(.brokenJSON) }
                    break
                }
            }
        }
        parser.skipWhitespace()
        return parser.atEnd ? .success(messages) : .failure(.brokenJSON)
    }

    /// A strict JSON string reader over UTF-8 bytes.
    struct Parser {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// A JSON string literal at the current position, or nil if there is none or it is malformed.
        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flushRun(_ end: Int) -> Bool {
                guard runStart < end else { return true }
                guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                return true
            }
            while let byte = peek {
                if byte == UInt8(ascii: "\"") {
                    guard flushRun(index) else { return nil }
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { return nil }
                if byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                guard flushRun(index) else { return nil }
                index += 1
                guard let escape = peek else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = hex4(),
                              (0xDC00...0xDFFF).contains(low) else {
                            scalars.append("\u{FFFD}")
                            runStart = index
                            continue
                        }
                        let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                    } else {
                        scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                    }
                default:
                    return nil
                }
                runStart = index
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x61...0x66: digit = byte - 0x61 + 10
                case 0x41...0x46: digit = byte - 0x41 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
