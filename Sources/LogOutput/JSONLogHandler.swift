public import Logging
internal import Glibc

/// A swift-log handler writing one JSON object per line (`log.format: json`), for log shippers:
/// `{"ts":"2026-12-03T06:40:00.123Z","level":"info","label":"stampede","msg":"…",…metadata}`.
///
/// The message is a constant and the data sits in the metadata keys, so lines group by `msg`.
/// Metadata keys that collide with the four fixed fields are written with a `meta.` prefix.
/// Lines go out with one `write(2)` each, so concurrent writers do not interleave within a line.
/// A wall-clock instant (seconds and nanoseconds since 1970), as `clock_gettime` gives it.
public struct WallTime: Sendable, Equatable {
    public var seconds: Int
    public var nanoseconds: Int

    public init(seconds: Int, nanoseconds: Int) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}

public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let fileDescriptor: Int32
    private let clock: @Sendable () -> WallTime

    /// Writes to `fileDescriptor` (standard error by default). `clock` gives the wall-clock time
    /// of each line (tests fix it).
    public init(
        label: String, fileDescriptor: Int32 = 2, metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> WallTime = JSONLogHandler.wallClock
    ) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        var line = Self.line(
            time: clock(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// One line without its newline; metadata keys sorted so lines are stable.
    public static func line(
        time: WallTime, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: "{\"ts\":\"".utf8)
        appendTimestamp(time, to: &out)
        out.append(contentsOf: "\",\"level\":\"\(level.rawValue)\",\"label\":".utf8)
        appendString(label, to: &out)
        out.append(contentsOf: ",\"msg\":".utf8)
        appendString(message, to: &out)
        for key in metadata.keys.sorted() {
            out.append(UInt8(ascii: ","))
            appendString(reserved.contains(key) ? "meta." + key : key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendValue(metadata[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static let reserved: Set<String> = ["ts", "level", "label", "msg"]

    public static let wallClock: @Sendable () -> WallTime = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return WallTime(seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec))
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            out.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(dictionary[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslash and control characters escaped (RFC 8259 §7).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-03T06:40:00.123Z`.
    static func appendTimestamp(_ time: WallTime, to out: inout [UInt8]) {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var text = Array(String(value).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            out.append(contentsOf: text)
        }
        digits(Int(parts.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); out.append(UInt8(ascii: "."))
        digits(time.nanoseconds / 1_000_000, 3); out.append(UInt8(ascii: "Z"))
    }
}
