/// The result of one run: labelled values, printed as a table for people or as one JSON object
/// for scripts (`--json`). The keys are stable; scripts/bench.sh reads them.
struct Report {
    /// One value of the report.
    enum Value {
        case int(Int)
        case number(Double, decimals: Int)
        case text(String)
        case flag(Bool)
        case missing
    }

    /// One line of the table / one key of the JSON object.
    struct Row {
        let key: String
        let label: String
        let value: Value
        let unit: String
    }

    private(set) var rows: [Row] = []

    /// Appends a row.
    mutating func add(_ key: String, _ label: String, _ value: Value, unit: String = "") {
        rows.append(Row(key: key, label: label, value: value, unit: unit))
    }

    /// Appends an integer row, or `missing` when nil.
    mutating func add(_ key: String, _ label: String, int value: Int?, unit: String = "") {
        add(key, label, value.map { .int($0) } ?? .missing, unit: unit)
    }

    /// Appends a number row, or `missing` when nil.
    mutating func add(_ key: String, _ label: String, number value: Double?, decimals: Int, unit: String = "") {
        add(key, label, value.map { .number($0, decimals: decimals) } ?? .missing, unit: unit)
    }

    /// A two-column table: label, value with its unit.
    func table() -> String {
        let labelWidth = rows.map(\.label.count).max() ?? 0
        let values = rows.map { row in row.value.display + (row.unit.isEmpty ? "" : " " + row.unit) }
        let valueWidth = values.map(\.count).max() ?? 0
        var out = ""
        let rule = String(repeating: "-", count: labelWidth + valueWidth + 3) + "\n"
        out += rule
        for (row, value) in zip(rows, values) {
            out += row.label + String(repeating: " ", count: labelWidth - row.label.count) + "   "
            out += String(repeating: " ", count: valueWidth - value.count) + value + "\n"
        }
        out += rule
        return out
    }

    /// One JSON object, keys in row order.
    func json() -> String {
        let members = rows.map { "\"\($0.key)\": \($0.value.json)" }
        return "{" + members.joined(separator: ", ") + "}\n"
    }
}

extension Report.Value {
    /// For the table: integers with thousands separators.
    var display: String {
        switch self {
        case .int(let value): return Self.grouped(value)
        case .number(let value, let decimals):
            // Group the whole part for the table: "532,598 msg/s".
            let text = Self.fixed(value, decimals: decimals)
            let whole = text.prefix { $0 != "." }
            guard let number = Int(whole) else { return text }
            return Self.grouped(number) + text.dropFirst(whole.count)
        case .text(let text): return text
        case .flag(let flag): return flag ? "yes" : "no"
        case .missing: return "n/a"
        }
    }

    var json: String {
        switch self {
        case .int(let value): return String(value)
        case .number(let value, let decimals): return value.isFinite ? Self.fixed(value, decimals: decimals) : "null"
        case .text(let text): return Self.quoted(text)
        case .flag(let flag): return flag ? "true" : "false"
        case .missing: return "null"
        }
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// Fixed-point without Foundation's formatting.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let whole = Int(scaled) / Int(scale)
        let fraction = Int(scaled) % Int(scale)
        var text = String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return (value < 0 && scaled > 0 ? "-" : "") + text
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
