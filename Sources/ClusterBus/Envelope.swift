public import STOMPWire

/// What one node sends another: a message and where it goes. Encoded once per publish and
/// shared by every receiving node (Redis fans it out), never per subscriber.
///
/// Wire format (all integers big-endian):
/// ```
/// "SE" magic (2) | version (1) = 1 | flags (1): bit 0 redelivered
/// source node  (u16 length + UTF-8) | message id (u16 + UTF-8) | destination (u16 + UTF-8)
/// header count (u16) | per header: name (u16 + UTF-8), value (u32 + UTF-8)
/// body (u32 length + bytes)
/// ```
public struct Envelope: Sendable, Equatable {
    public static let currentVersion: UInt8 = 1
    public var sourceNode: String
    public var messageID: String
    public var destination: String
    public var headers: STOMPHeaders
    public var body: [UInt8]
    public var redelivered: Bool

    public init(sourceNode: String, messageID: String, destination: String, headers: STOMPHeaders, body: [UInt8], redelivered: Bool = false) {
        self.sourceNode = sourceNode
        self.messageID = messageID
        self.destination = destination
        self.headers = headers
        self.body = body
        self.redelivered = redelivered
    }

    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + sourceNode.utf8.count + messageID.utf8.count + destination.utf8.count + body.count + headers.lineBytes + headers.count * 8)
        out += [0x53, 0x45, Envelope.currentVersion, redelivered ? 1 : 0]
        out.appendShort(sourceNode)
        out.appendShort(messageID)
        out.appendShort(destination)
        out.appendUInt16(UInt16(clamping: headers.count))
        // Copied as bytes: no String is made per header.
        for index in headers.indices.prefix(Int(UInt16.max)) {
            headers.withName(at: index) { name in
                let kept = UnsafeBufferPointer(rebasing: name.prefix(Int(UInt16.max)))
                out.appendUInt16(UInt16(kept.count))
                out.append(contentsOf: kept)
            }
            headers.withValue(at: index) { value in
                out.appendUInt32(UInt32(value.count))
                out.append(contentsOf: value)
            }
        }
        out.appendUInt32(UInt32(body.count))
        out += body
        return out
    }

    /// Decodes an envelope of at most `maxBytes`; anything malformed or too large is an error.
    public static func decode(_ bytes: [UInt8], maxBytes: Int) throws(EnvelopeError) -> Envelope {
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes.count) }
        var reader = ByteReader(bytes)
        guard try reader.byte() == 0x53, try reader.byte() == 0x45 else { throw .malformed("bad magic") }
        let version = try reader.byte()
        guard version == currentVersion else { throw .unsupportedVersion(version) }
        let flags = try reader.byte()
        let source = try reader.string(length: Int(try reader.uint16()))
        let messageID = try reader.string(length: Int(try reader.uint16()))
        let destination = try reader.string(length: Int(try reader.uint16()))
        let count = Int(try reader.uint16())
        var headers: STOMPHeaders = []
        headers.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.string(length: Int(try reader.uint16()))
            let value = try reader.string(length: Int(try reader.uint32()))
            headers.append(STOMPHeader(name: name, value: value))
        }
        let body = try reader.bytes(length: Int(try reader.uint32()))
        guard reader.isAtEnd else { throw .malformed("trailing bytes") }
        return Envelope(sourceNode: source, messageID: messageID, destination: destination, headers: headers, body: body, redelivered: flags & 1 != 0)
    }
}

public enum EnvelopeError: Error, Sendable, Equatable {
    case tooLarge(Int)
    case unsupportedVersion(UInt8)
    case malformed(String)
}

private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(EnvelopeError) -> UInt8 {
        guard offset < bytes.count else { throw .malformed("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() throws(EnvelopeError) -> UInt16 {
        UInt16(try byte()) << 8 | UInt16(try byte())
    }

    mutating func uint32() throws(EnvelopeError) -> UInt32 {
        UInt32(try uint16()) << 16 | UInt32(try uint16())
    }

    mutating func bytes(length: Int) throws(EnvelopeError) -> [UInt8] {
        guard length <= bytes.count - offset else { throw .malformed("truncated") }
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }

    mutating func string(length: Int) throws(EnvelopeError) -> String {
        String(decoding: try bytes(length: length), as: UTF8.self)
    }
}

extension [UInt8] {
    fileprivate mutating func appendUInt16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    fileprivate mutating func appendUInt32(_ value: UInt32) {
        appendUInt16(UInt16(value >> 16))
        appendUInt16(UInt16(value & 0xFFFF))
    }

    /// A string of at most 65,535 UTF-8 bytes (node ids, message ids, destinations, header names).
    fileprivate mutating func appendShort(_ string: String) {
        let utf8 = string.utf8.prefix(Int(UInt16.max))
        appendUInt16(UInt16(utf8.count))
        append(contentsOf: utf8)
    }
}
