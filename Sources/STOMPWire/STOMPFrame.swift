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
    public var headers: STOMPHeaders
    public var body: [UInt8]

    /// A frame from a command, `(name, value)` header pairs in wire order, and a body.
    public init(_ command: STOMPCommand, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.command = command
        self.headers = STOMPHeaders(headers)
        self.body = body
    }

    /// A frame from headers already built.
    public init(command: STOMPCommand, headers: STOMPHeaders, body: [UInt8] = []) {
        self.command = command
        self.headers = headers
        self.body = body
    }

    /// A frame from header values.
    public init(command: STOMPCommand, headers: [STOMPHeader], body: [UInt8] = []) {
        self.init(command: command, headers: STOMPHeaders(headers), body: body)
    }

    /// The value of the first header with this name: the spec says the first occurrence wins.
    public subscript(_ name: String) -> String? {
        headers.value(named: name)
    }

    /// Every value of the headers with this name, in wire order.
    public func values(named name: String) -> [String] {
        headers.values(named: name)
    }

    /// Replaces the value of the first header with this name, or appends the header.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.setValue(value, forName: name)
    }
}
