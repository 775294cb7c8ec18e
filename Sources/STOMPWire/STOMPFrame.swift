/// One `name:value` header line, already unescaped.
public struct STOMPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    /// A header with the given name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A decoded (or to-be-encoded) STOMP frame.
public struct STOMPFrame: Sendable, Equatable {
    public var command: STOMPCommand
    /// Headers in wire order; repeated names are kept.
    public var headers: [STOMPHeader]
    public var body: [UInt8]

    /// A frame from a command, `(name, value)` header pairs in wire order, and a body.
    public init(_ command: STOMPCommand, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.command = command
        self.headers = headers.map { STOMPHeader(name: $0.0, value: $0.1) }
        self.body = body
    }

    /// A frame from already built header values (the decoder's path: no tuple conversion).
    public init(command: STOMPCommand, headers: [STOMPHeader], body: [UInt8] = []) {
        self.command = command
        self.headers = headers
        self.body = body
    }

    /// The value of the first header with this name: the spec says the first occurrence wins.
    public subscript(_ name: String) -> String? {
        for header in headers where header.name == name {
            return header.value
        }
        return nil
    }

    /// Every value of the headers with this name, in wire order.
    public func values(named name: String) -> [String] {
        headers.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Replaces the value of the first header with this name, or appends the header.
    public mutating func setHeader(_ name: String, _ value: String) {
        if let index = headers.firstIndex(where: { $0.name == name }) {
            headers[index].value = value
        } else {
            headers.append(STOMPHeader(name: name, value: value))
        }
    }
}
