internal import CZlib

/// zlib raw deflate for outgoing messages: each message is compressed on its own (the server
/// always negotiates `server_no_context_takeover`), so one node-wide deflater serves every
/// connection and a publication's compressed bytes can be shared by all its subscribers.
///
/// Confined to the loop thread (hence `@unchecked Sendable`); the z_stream is heap-allocated
/// because zlib keeps pointers into it.
public final class MessageDeflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8] = []

    /// `windowBits` 9–15 (the agreed `server_max_window_bits`); `level` 0–9 or -1 for zlib's default (6).
    public init?(windowBits: Int = 15, level: Int = -1, memoryLevel: Int = 8) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard stampede_deflate_init2(stream, Int32(level), -Int32(max(9, min(15, windowBits))), Int32(memoryLevel)) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The compressed payload of one message: deflate with a sync flush, minus the trailing
    /// `00 00 FF FF` (RFC 7692 §7.2.1). Starts from an empty window every time.
    public func compress(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        deflateReset(stream)
        let bound = Int(deflateBound(stream, uLong(bytes.count))) + 16
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        var written = 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: UInt8.self).baseAddress)
        stream.pointee.avail_in = UInt32(bytes.count)
        while true {
            let (code, left) = output.withUnsafeMutableBufferPointer { target in
                stream.pointee.next_out = target.baseAddress! + written
                stream.pointee.avail_out = UInt32(target.count - written)
                let code = deflate(stream, Z_SYNC_FLUSH)
                return (code, Int(stream.pointee.avail_out))
            }
            written = output.count - left
            // A full output buffer may hold back more: grow and go on.
            guard code == Z_OK || code == Z_BUF_ERROR, left == 0 else { break }
            output.append(contentsOf: repeatElement(0, count: output.count))
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        let end = written >= 4 ? written - 4 : written
        return Array(output[0..<end])
    }

    /// Convenience for arrays.
    public func compress(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { compress($0) }
    }
}
