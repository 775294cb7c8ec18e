/// Cuts the byte stream a node writes on a raw STOMP connection into whole frames and heart-beat
/// EOLs, for transports that carry one frame per message (SockJS). The frames are the node's
/// own, so they are well formed; only their boundaries are found, nothing is decoded or copied
/// into headers.
public struct STOMPFrameSplitter: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init() {}

    /// Bytes held for a frame not yet complete.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next whole frame (ending with its NUL) or heart-beat EOL (`\n` or `\r\n`); nil until
    /// more bytes arrive.
    public mutating func next() -> [UInt8]? {
        guard readIndex < buffer.count else { return nil }
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        if buffer[readIndex] == lf { return take(1) }
        if buffer[readIndex] == cr {
            guard readIndex + 1 < buffer.count else { return nil }
            if buffer[readIndex + 1] == lf { return take(2) }
        }
        guard let bodyStart = headersEnd() else { return nil }
        let end: Int
        if let length = contentLength(before: bodyStart) {
            guard bodyStart + length < buffer.count else { return nil }
            end = bodyStart + length
        } else {
            guard let nul = buffer[bodyStart...].firstIndex(of: 0) else { return nil }
            end = nul
        }
        return take(end + 1 - readIndex)
    }

    private mutating func take(_ count: Int) -> [UInt8] {
        let piece = Array(buffer[readIndex..<readIndex + count])
        readIndex += count
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 64 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        return piece
    }

    /// Index just after the blank line that ends the headers.
    private func headersEnd() -> Int? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var index = readIndex
        while let newline = buffer[index...].firstIndex(of: lf) {
            let next = newline + 1
            if next < buffer.count, buffer[next] == lf { return next + 1 }
            if next + 1 < buffer.count, buffer[next] == cr, buffer[next + 1] == lf { return next + 2 }
            if next >= buffer.count || (buffer[next] == cr && next + 1 >= buffer.count) { return nil }
            index = next
        }
        return nil
    }

    /// The `content-length` header's value, if the frame has one.
    private func contentLength(before bodyStart: Int) -> Int? {
        let name = Array("content-length:".utf8)
        var lineStart = readIndex
        while lineStart < bodyStart {
            let lineEnd = buffer[lineStart..<bodyStart].firstIndex(of: UInt8(ascii: "\n")) ?? bodyStart
            if lineEnd - lineStart > name.count, buffer[lineStart..<lineStart + name.count].elementsEqual(name) {
                var value = 0
                for byte in buffer[(lineStart + name.count)..<lineEnd] where byte >= 0x30 && byte <= 0x39 {
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}
