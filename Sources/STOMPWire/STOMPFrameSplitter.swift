/// Cuts the byte stream a node writes into whole frames and heart-beat EOLs, without decoding
/// them: for transports that carry one frame per message (SockJS) and for readers that only
/// want MESSAGE bodies (the load generator, which must stay cheaper per message than the node
/// it measures). The frames are the node's own, so they are well formed; only their boundaries
/// are found. A reader that needs headers hands the frame to `STOMPDecoder`.
public struct STOMPFrameSplitter: Sendable {
    /// One whole frame or heart-beat, borrowed from the input or the splitter's buffer: valid
    /// only inside the closure that receives it.
    public struct Piece {
        /// The frame through its NUL, or the heart-beat EOL (`\n` or `\r\n`).
        public let bytes: UnsafeRawBufferPointer
        /// Offset of the body in `bytes`; nil for a heart-beat.
        public let bodyStart: Int?

        /// The body (without its NUL) of a MESSAGE frame; nil for other frames and heart-beats.
        public var messageBody: UnsafeRawBufferPointer? {
            guard let bodyStart, bytes.count >= 8,
                  bytes.loadUnaligned(as: UInt64.self) == Self.messagePrefix || bytes.starts(with: Self.messageCRLF)
            else { return nil }
            return UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bytes.count - 1)])
        }

        /// "MESSAGE\n" read as one little-endian word.
        private static let messagePrefix: UInt64 = Array("MESSAGE\n".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        private static let messageCRLF = Array("MESSAGE\r\n".utf8)
    }

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
        let found: (end: Int, bodyStart: Int?)? = buffer.withUnsafeBytes { all in
            Self.pieceEnd(in: UnsafeRawBufferPointer(rebasing: all[readIndex...]))
        }
        guard let found else { return nil }
        let piece = Array(buffer[readIndex..<readIndex + found.end])
        consume(found.end)
        return piece
    }

    /// Calls `each` for every piece completed by `bytes`. While no partial frame is held the
    /// pieces are read where `bytes` lies (no copy); only a trailing partial frame is kept.
    public mutating func split(_ bytes: UnsafeRawBufferPointer, _ each: (Piece) -> Void) {
        if bufferedByteCount == 0 {
            let used = Self.forEachPiece(in: bytes, each)
            if used < bytes.count { feed(UnsafeRawBufferPointer(rebasing: bytes[used...])) }
            return
        }
        feed(bytes)
        let used = buffer.withUnsafeBytes { all in
            Self.forEachPiece(in: UnsafeRawBufferPointer(rebasing: all[readIndex...]), each)
        }
        consume(used)
    }

    /// Calls `each` for the whole pieces at the start of `bytes`; returns the bytes they span.
    private static func forEachPiece(in bytes: UnsafeRawBufferPointer, _ each: (Piece) -> Void) -> Int {
        var used = 0
        while let found = pieceEnd(in: UnsafeRawBufferPointer(rebasing: bytes[used...])) {
            each(Piece(bytes: UnsafeRawBufferPointer(rebasing: bytes[used..<(used + found.end)]), bodyStart: found.bodyStart))
            used += found.end
        }
        return used
    }

    private mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        } else if readIndex > 64 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    // MARK: - Boundaries

    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Length of the first piece of `bytes` and its body's offset (nil for a heart-beat); nil
    /// when the piece is not complete.
    private static func pieceEnd(in bytes: UnsafeRawBufferPointer) -> (end: Int, bodyStart: Int?)? {
        guard !bytes.isEmpty else { return nil }
        if bytes[0] == lf { return (1, nil) }
        if bytes[0] == cr {
            guard bytes.count > 1 else { return nil }
            if bytes[1] == lf { return (2, nil) }
        }
        guard let (bodyStart, contentLength) = headersEnd(in: bytes) else { return nil }
        if let contentLength {
            guard bodyStart + contentLength < bytes.count else { return nil }
            return (bodyStart + contentLength + 1, bodyStart)
        }
        guard let nul = firstIndex(of: 0, in: bytes, from: bodyStart) else { return nil }
        return (nul + 1, bodyStart)
    }

    /// Index just after the blank line that ends the headers, and the `content-length` value if
    /// a header gives one.
    private static func headersEnd(in bytes: UnsafeRawBufferPointer) -> (Int, Int?)? {
        var contentLength: Int?
        var lineStart = 0
        while let newline = firstIndex(of: lf, in: bytes, from: lineStart) {
            let next = newline + 1
            if contentLength == nil, lineStart > 0 { contentLength = Self.contentLength(in: bytes, line: lineStart..<newline) }
            if next < bytes.count, bytes[next] == lf { return (next + 1, contentLength) }
            if next + 1 < bytes.count, bytes[next] == cr, bytes[next + 1] == lf { return (next + 2, contentLength) }
            if next >= bytes.count || (bytes[next] == cr && next + 1 >= bytes.count) { return nil }
            lineStart = next
        }
        return nil
    }

    /// "content-length:" as two overlapping little-endian words: bytes 0..<8 and 7..<15.
    private static let contentLengthWords: (UInt64, UInt64) = Array("content-length:".utf8).withUnsafeBytes {
        ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 7, as: UInt64.self))
    }

    /// The value of a `content-length` header line; nil for any other line.
    private static func contentLength(in bytes: UnsafeRawBufferPointer, line: Range<Int>) -> Int? {
        guard line.count > 15,
              bytes.loadUnaligned(fromByteOffset: line.lowerBound, as: UInt64.self) == contentLengthWords.0,
              bytes.loadUnaligned(fromByteOffset: line.lowerBound + 7, as: UInt64.self) == contentLengthWords.1
        else { return nil }
        var value = 0
        for byte in bytes[(line.lowerBound + 15)..<line.upperBound] where byte >= 0x30 && byte <= 0x39 {
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func firstIndex(of target: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        return ByteSearch.firstIndex(of: target, in: rest.assumingMemoryBound(to: UInt8.self)).map { $0 + start }
    }
}
