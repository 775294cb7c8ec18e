/// A setting's value as a source spells it, before it is checked: one scalar, a list, or a map.
public enum ConfigurationValue: Sendable, Equatable {
    /// One value: a number, name, boolean or text.
    case scalar(String)
    /// A list of values.
    case list([String])
    /// Names to values (`auth.users`).
    case map([String: String])

    /// The value as it would be written in an environment variable or `--set` (lists comma-separated,
    /// maps as `login:passcode` pairs).
    public var text: String {
        switch self {
        case .scalar(let value): value
        case .list(let values): values.joined(separator: ",")
        case .map(let pairs): pairs.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        }
    }
}

/// One setting of a node: its dotted name, what it accepts, and how it reads and writes a
/// `NodeConfiguration`. `ConfigurationLoader.keys` is the single table every source goes through.
public struct ConfigurationKey {
    /// How a value is written in a source.
    public enum Shape: Sendable, Equatable {
        /// One scalar (`limits.max-connections: 10000`).
        case scalar
        /// A YAML sequence, or a comma-separated string.
        case list
        /// A YAML mapping, or comma-separated `key:value` pairs.
        case map
    }

    /// Dotted kebab-case path, e.g. `limits.stomp.max-body-bytes`.
    public let name: String
    public let shape: Shape
    /// Short type name shown by `stampede config keys`: `bytes`, `port`, `milliseconds`, ….
    public let type: String
    /// What a valid value looks like, completing "expected …" in error messages.
    public let expected: String
    /// One line saying what the setting does.
    public let summary: String
    /// Whether scalars are text (always quoted in YAML) rather than numbers, booleans or names.
    let isText: Bool
    /// Whether the values are secrets that `config check` hides unless asked.
    let isSecret: Bool
    let read: (NodeConfiguration) -> ConfigurationValue
    /// Stores the value; false when it is invalid (the configuration is then left unchanged).
    let write: (inout NodeConfiguration, ConfigurationValue) -> Bool

    init(
        _ name: String, shape: Shape = .scalar, type: String, expected: String, isText: Bool = false,
        isSecret: Bool = false, _ summary: String,
        read: @escaping (NodeConfiguration) -> ConfigurationValue,
        write: @escaping (inout NodeConfiguration, ConfigurationValue) -> Bool
    ) {
        self.name = name
        self.shape = shape
        self.type = type
        self.expected = expected
        self.isText = isText
        self.isSecret = isSecret
        self.summary = summary
        self.read = read
        self.write = write
    }

    /// `STAMPEDE_` + the name uppercased with `.` and `-` turned into `_`.
    public var environmentVariable: String {
        ConfigurationLoader.environmentPrefix + String(name.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 })
    }

    /// The value of this setting in `configuration`.
    public func value(in configuration: NodeConfiguration) -> ConfigurationValue {
        read(configuration)
    }

    /// The built-in default.
    public var defaultValue: ConfigurationValue { read(NodeConfiguration()) }

    /// Turns the text of an environment variable or flag into a value of this key's shape.
    public func value(fromText text: String) -> ConfigurationValue {
        let text = text.trimmingSpaces
        switch shape {
        case .scalar:
            return .scalar(text)
        case .list:
            return .list(text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces })
        case .map:
            var pairs: [String: String] = [:]
            for entry in text.split(separator: ",") {
                // A malformed pair stays a scalar, which a map key rejects as invalid.
                guard let colon = entry.firstIndex(of: ":") else { return .scalar(text) }
                pairs[String(entry[..<colon]).trimmingSpaces] = String(entry[entry.index(after: colon)...])
            }
            return .map(pairs)
        }
    }
}

// MARK: - Typed constructors used by the key table

extension ConfigurationKey {
    /// An integer of at least `minimum`; `type` names its unit (bytes, milliseconds, count).
    /// Sizes in bytes are capped at 1 GiB: far beyond any sane frame or buffer, and it keeps the
    /// parsers' offset arithmetic far from overflow.
    static let maximumBytes = 1 << 30

    static func integer<Number: FixedWidthInteger>(
        _ name: String, _ path: WritableKeyPath<NodeConfiguration, Number>, type: String, minimum: Number = 1,
        maximum: Number? = nil, _ summary: String
    ) -> ConfigurationKey {
        let maximum = maximum ?? (type == "bytes" ? Number(clamping: maximumBytes) : Number.max)
        var expected = minimum == 1 ? "a positive integer" : minimum == 0 ? "a non-negative integer" : "an integer of at least \(minimum)"
        if maximum != Number.max { expected += " up to \(maximum)" }
        return ConfigurationKey(name, type: type, expected: expected, summary, read: { .scalar(String($0[keyPath: path])) }) { configuration, value in
            guard case .scalar(let text) = value, let number = parseInteger(text, as: Number.self), number >= minimum, number <= maximum else { return false }
            configuration[keyPath: path] = number
            return true
        }
    }

    /// A TCP port; 0 asks the system for a free one.
    static func port(_ name: String, _ path: WritableKeyPath<NodeConfiguration, Int>, _ summary: String) -> ConfigurationKey {
        ConfigurationKey(name, type: "port", expected: "a port number 0-65535", summary, read: { .scalar(String($0[keyPath: path])) }) { configuration, value in
            guard case .scalar(let text) = value, let port = parseInteger(text, as: Int.self), (0...65535).contains(port) else { return false }
            configuration[keyPath: path] = port
            return true
        }
    }

    /// A port that `off` (or 0) turns off.
    static func optionalPort(_ name: String, _ path: WritableKeyPath<NodeConfiguration, Int?>, _ summary: String) -> ConfigurationKey {
        ConfigurationKey(name, type: "port|off", expected: "a port number 1-65535, or 0 or 'off' to disable", summary, read: { configuration in
            .scalar(configuration[keyPath: path].map { String($0) } ?? "off")
        }) { configuration, value in
            guard case .scalar(let text) = value else { return false }
            if text.lowercased() == "off" || text == "0" {
                configuration[keyPath: path] = nil
                return true
            }
            guard let port = parseInteger(text, as: Int.self), (1...65535).contains(port) else { return false }
            configuration[keyPath: path] = port
            return true
        }
    }

    /// Free text, non-empty unless `allowEmpty`; `isValid` (described by `expected`) narrows it further.
    static func text(
        _ name: String, _ path: WritableKeyPath<NodeConfiguration, String>, allowEmpty: Bool = false, expected: String? = nil,
        isValid: @escaping (String) -> Bool = { _ in true }, _ summary: String
    ) -> ConfigurationKey {
        ConfigurationKey(name, type: "string", expected: expected ?? (allowEmpty ? "a string" : "a non-empty string"), isText: true, summary,
                         read: { .scalar($0[keyPath: path]) }) { configuration, value in
            guard case .scalar(let text) = value, allowEmpty || !text.isEmpty, isValid(text) else { return false }
            configuration[keyPath: path] = text
            return true
        }
    }

    /// Text that may be unset: empty stores nil, anything else must pass `isValid`.
    static func optionalText(
        _ name: String, _ path: WritableKeyPath<NodeConfiguration, String?>, type: String = "string", expected: String, isSecret: Bool = false,
        isValid: @escaping (String) -> Bool, _ summary: String
    ) -> ConfigurationKey {
        ConfigurationKey(name, type: type, expected: expected, isText: true, isSecret: isSecret, summary,
                         read: { .scalar($0[keyPath: path] ?? "") }) { configuration, value in
            guard case .scalar(let text) = value else { return false }
            if text.isEmpty {
                configuration[keyPath: path] = nil
                return true
            }
            guard isValid(text) else { return false }
            configuration[keyPath: path] = text
            return true
        }
    }

    /// A list of strings each of which passes `isValid`; at least one element unless `allowEmpty`.
    static func texts(
        _ name: String, _ path: WritableKeyPath<NodeConfiguration, [String]>, expected: String, allowEmpty: Bool = true,
        isValid: @escaping (String) -> Bool, _ summary: String
    ) -> ConfigurationKey {
        ConfigurationKey(name, shape: .list, type: "list", expected: expected, isText: true, summary,
                         read: { .list($0[keyPath: path]) }) { configuration, value in
            guard case .list(let items) = value, allowEmpty || !items.isEmpty, items.allSatisfy(isValid) else { return false }
            configuration[keyPath: path] = items
            return true
        }
    }

    /// true/false (also yes/no, on/off, 1/0).
    static func boolean(_ name: String, _ path: WritableKeyPath<NodeConfiguration, Bool>, _ summary: String) -> ConfigurationKey {
        ConfigurationKey(name, type: "boolean", expected: "true or false", summary, read: { .scalar($0[keyPath: path] ? "true" : "false") }) { configuration, value in
            guard case .scalar(let text) = value else { return false }
            switch text.lowercased() {
            case "true", "yes", "on", "1": configuration[keyPath: path] = true
            case "false", "no", "off", "0": configuration[keyPath: path] = false
            default: return false
            }
            return true
        }
    }

    /// One of a fixed set of names, stored as the name itself.
    static func choice(_ name: String, _ path: WritableKeyPath<NodeConfiguration, String>, names: [String], _ summary: String) -> ConfigurationKey {
        ConfigurationKey(name, type: "name", expected: "one of " + names.joined(separator: ", "), summary,
                         read: { .scalar($0[keyPath: path]) }) { configuration, value in
            guard case .scalar(let text) = value, names.contains(text) else { return false }
            configuration[keyPath: path] = text
            return true
        }
    }
}

/// Decimal digits, `_` allowed between them as YAML allows (`10_000`); nil on overflow.
func parseInteger<Number: FixedWidthInteger>(_ text: String, as: Number.Type) -> Number? {
    guard let first = text.utf8.first, let last = text.utf8.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return nil }
    let digits = text.filter { $0 != "_" }
    guard digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
    return Number(digits)
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
