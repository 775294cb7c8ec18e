/// A protocol violation found while decoding; the session answers it with an ERROR frame and closes.
public struct STOMPWireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the input.
    public enum Kind: Sendable, Equatable {
        case unknownCommand, headerLineTooLong, tooManyHeaders, malformedHeader, invalidEscape
        case invalidContentLength, bodyTooLarge, frameTooLarge, missingNullTerminator
    }

    public let kind: Kind
    /// Human readable; goes into the ERROR frame's `message` header.
    public let message: String
    /// The offending frame's `receipt` header, if it was parsed before the error.
    public let receipt: String?

    /// An error of the given kind.
    public init(kind: Kind, message: String, receipt: String? = nil) {
        self.kind = kind
        self.message = message
        self.receipt = receipt
    }

    public var description: String { "STOMPWireError(\(kind)): \(message)" }
}
