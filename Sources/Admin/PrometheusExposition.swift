/// The kind of a metric in the Prometheus exposition (`# TYPE` line).
public enum MetricType: String, Sendable, Equatable {
    /// A value that only goes up (name it `…_total`).
    case counter
    /// A value that goes up and down.
    case gauge
    /// Cumulative `_bucket{le=…}` counts, `_sum` and `_count` (see `LatencyHistogram`).
    case histogram
}

/// One sample for `GET /metrics`: samples that share a name form one metric family.
public struct MetricSample: Sendable {
    /// Metric name, e.g. `stampede_connections` (invalid characters are rendered as `_`).
    public var name: String
    /// The `# HELP` text of the family (the first sample of a name supplies it).
    public var help: String
    /// The `# TYPE` of the family (the first sample of a name supplies it).
    public var type: MetricType
    /// Label names and values, in the order to render them.
    public var labels: [(String, String)]
    /// The sample value (NaN and infinities are rendered as Prometheus spells them).
    public var value: Double
    /// The family the sample belongs to when its name is not the family's: a histogram's
    /// `x_bucket`, `x_sum` and `x_count` lines form the family `x`.
    public var family: String?

    /// Creates a sample.
    public init(name: String, help: String, type: MetricType, labels: [(String, String)] = [], value: Double, family: String? = nil) {
        self.name = name
        self.help = help
        self.type = type
        self.labels = labels
        self.value = value
        self.family = family
    }
}

/// Renders samples in the Prometheus text exposition format 0.0.4.
public enum PrometheusExposition {
    /// The Content-Type of the format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `# HELP` and `# TYPE` once per name, then that name's samples, families in the order their
    /// names first appear; every line ends with `\n`. Empty input renders as an empty string.
    public static func render(_ samples: [MetricSample]) -> String {
        // Group while keeping first-appearance order: the format requires a family's lines to be contiguous.
        var familyIndex: [String: Int] = [:]
        var families: [(name: String, samples: [MetricSample])] = []
        for sample in samples {
            let name = sanitizedName(sample.family ?? sample.name, allowColon: true)
            if let index = familyIndex[name] {
                families[index].samples.append(sample)
            } else {
                familyIndex[name] = families.count
                families.append((name, [sample]))
            }
        }
        var out = ""
        out.reserveCapacity(samples.count * 64)
        for family in families {
            let first = family.samples[0]
            out += "# HELP \(family.name) \(escapedHelp(first.help))\n"
            out += "# TYPE \(family.name) \(first.type.rawValue)\n"
            for sample in family.samples {
                out += sample.family == nil ? family.name : sanitizedName(sample.name, allowColon: true)
                if !sample.labels.isEmpty {
                    out += "{"
                    for (index, label) in sample.labels.enumerated() {
                        if index > 0 { out += "," }
                        out += sanitizedName(label.0, allowColon: false)
                        out += "=\""
                        out += escapedLabelValue(label.1)
                        out += "\""
                    }
                    out += "}"
                }
                out += " "
                out += formattedValue(sample.value)
                out += "\n"
            }
        }
        return out
    }

    /// HELP text: backslash and line feed are escaped (`\\`, `\n`).
    static func escapedHelp(_ text: String) -> String {
        escaped(text, quotes: false)
    }

    /// Label values: backslash, double quote and line feed are escaped (`\\`, `\"`, `\n`).
    static func escapedLabelValue(_ text: String) -> String {
        escaped(text, quotes: true)
    }

    private static func escaped(_ text: String, quotes: Bool) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\"")) }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names the same without `:`; any other
    /// character becomes `_`, and a leading digit gets a `_` in front.
    static func sanitizedName(_ name: String, allowColon: Bool) -> String {
        func isValid(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): !first
            case UInt8(ascii: ":"): allowColon
            default: false
            }
        }
        var bytes = Array(name.utf8)
        if bytes.isEmpty { return "_" }
        var changed = false
        for index in bytes.indices where !isValid(bytes[index], first: index == 0) {
            if index == 0, bytes[0] >= UInt8(ascii: "0"), bytes[0] <= UInt8(ascii: "9") { continue }
            bytes[index] = UInt8(ascii: "_")
            changed = true
        }
        if bytes[0] >= UInt8(ascii: "0") && bytes[0] <= UInt8(ascii: "9") {
            bytes.insert(UInt8(ascii: "_"), at: 0)
            changed = true
        }
        // A multi-byte character becomes one `_` per byte; still a valid name.
        return changed ? String(decoding: bytes, as: UTF8.self) : name
    }

    /// Integral values without a fraction (`42`), others as Swift prints them (`0.25`, `1e+20`),
    /// and the spellings Prometheus expects for `NaN`, `+Inf` and `-Inf`.
    static func formattedValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(.towardZero) && abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }
}
