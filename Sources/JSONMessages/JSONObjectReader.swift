/// Reads the fields of one JSON object strictly: each field at most once, typed, and `finish()`
/// refuses fields nobody asked for. `path` names the object in error messages (`messages[2]`).
public struct JSONObjectReader {
    public let path: String
    private let fields: [String: JSONValue]
    private var read: Set<String> = []

    public init(_ value: JSONValue, path: String = "") throws(JSONError) {
        guard case .object(let fields) = value else {
            throw JSONError("\(path.isEmpty ? "the body" : path) must be a JSON object, not \(value.typeName)")
        }
        self.path = path
        self.fields = fields
    }

    private func name(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }

    public mutating func value(_ field: String) -> JSONValue? {
        read.insert(field)
        guard let value = fields[field], value != .null else { return nil }
        return value
    }

    public mutating func string(_ field: String) throws(JSONError) -> String? {
        guard let value = value(field) else { return nil }
        guard case .string(let text) = value else { throw JSONError("\(name(field)) must be a string, not \(value.typeName)") }
        return text
    }

    public mutating func requiredString(_ field: String) throws(JSONError) -> String {
        guard let text = try string(field) else { throw JSONError("\(name(field)) is required") }
        return text
    }

    public mutating func bool(_ field: String) throws(JSONError) -> Bool? {
        guard let value = value(field) else { return nil }
        guard case .bool(let flag) = value else { throw JSONError("\(name(field)) must be a boolean, not \(value.typeName)") }
        return flag
    }

    public mutating func integer(_ field: String, in range: ClosedRange<Int>) throws(JSONError) -> Int? {
        guard let value = value(field) else { return nil }
        guard case .integer(let number) = value else { throw JSONError("\(name(field)) must be an integer, not \(value.typeName)") }
        guard range.contains(number) else { throw JSONError("\(name(field)) must be between \(range.lowerBound) and \(range.upperBound)") }
        return number
    }

    public mutating func array(_ field: String) throws(JSONError) -> [JSONValue]? {
        guard let value = value(field) else { return nil }
        guard case .array(let items) = value else { throw JSONError("\(name(field)) must be an array, not \(value.typeName)") }
        return items
    }

    public mutating func strings(_ field: String) throws(JSONError) -> [String]? {
        guard let items = try array(field) else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw JSONError("\(name(field)) must hold strings only") }
            result.append(text)
        }
        return result
    }

    /// An object of string values (STOMP headers).
    public mutating func stringMap(_ field: String) throws(JSONError) -> [(String, String)]? {
        guard let value = value(field) else { return nil }
        guard case .object(let pairs) = value else { throw JSONError("\(name(field)) must be an object, not \(value.typeName)") }
        var result: [(String, String)] = []
        for key in pairs.keys.sorted() {
            guard case .string(let text) = pairs[key]! else { throw JSONError("\(name(field)).\(key) must be a string") }
            result.append((key, text))
        }
        return result
    }

    /// A body given as `body` (text) or `body_base64`, not both; empty when neither.
    public mutating func body(text: String = "body", base64: String = "body_base64") throws(JSONError) -> [UInt8] {
        let plain = try string(text)
        let encoded = try string(base64)
        switch (plain, encoded) {
        case (let plain?, nil): return Array(plain.utf8)
        case (nil, let encoded?):
            guard let bytes = JSONValue.fromBase64(encoded) else { throw JSONError("\(name(base64)) is not valid base64") }
            return bytes
        case (nil, nil): return []
        case (_?, _?): throw JSONError("give \(name(text)) or \(name(base64)), not both")
        }
    }

    /// Refuses fields that were not read.
    public func finish() throws(JSONError) {
        let unknown = fields.keys.filter { !read.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw JSONError("unknown field\(unknown.count > 1 ? "s" : "") \(unknown.map { name($0) }.joined(separator: ", "))")
        }
    }
}
