public import WebSocketWire
internal import CZlib

/// zlib raw inflate for one connection's compressed messages (RFC 7692 §7.2.2).
///
/// zlib is a pure computation but a C library, so it lives here and not in `WebSocketWire`, which
/// only sees the `WebSocketInflater` protocol. Confined to its connection's loop thread (hence
/// `@unchecked Sendable`); the z_stream is heap-allocated because zlib keeps pointers into it.
public final class ZlibInflater: WebSocketInflater, @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let resetPerMessage: Bool
    /// The client ended a message with a final block: the next message starts a fresh stream.
    private var streamEnded = false
    /// Output scratch: output is produced in slices of this size, so the limit is checked before
    /// anything much larger than the limit is ever held.
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)

    /// `windowBits` is the agreed `client_max_window_bits` (8–15); `resetPerMessage` when the
    /// client takes no context over (`client_no_context_takeover`).
    public init?(windowBits: Int, resetPerMessage: Bool) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.resetPerMessage = resetPerMessage
        // zlib's raw inflate accepts 8–15; a larger window than the client uses is always safe.
        guard stampede_inflate_init2(stream, -Int32(max(8, min(15, windowBits)))) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    public func inflate(_ compressed: [UInt8], endOfMessage: Bool, limit: Int) -> WebSocketInflateResult {
        var output: [UInt8] = []
        var failure = run(compressed, into: &output, limit: limit)
        if failure == nil && endOfMessage && !streamEnded {
            failure = run(PerMessageDeflate.flushTail, into: &output, limit: limit)
        }
        if endOfMessage && (resetPerMessage || streamEnded) {
            inflateReset(stream)
            streamEnded = false
        }
        return failure ?? .inflated(output)
    }

    /// Feeds `input` through inflate; nil when all of it was consumed within the limit.
    private func run(_ input: [UInt8], into output: inout [UInt8], limit: Int) -> WebSocketInflateResult? {
        guard !input.isEmpty, !streamEnded else { return nil }
        return input.withUnsafeBufferPointer { source -> WebSocketInflateResult? in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = UInt32(source.count)
            defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
            while true {
                let (code, produced, outputFull) = scratch.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    let code = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    let left = Int(stream.pointee.avail_out)
                    stream.pointee.next_out = nil
                    return (code, target.count - left, left == 0)
                }
                if produced > 0 {
                    guard produced <= limit - output.count else { return .tooBig }
                    output.append(contentsOf: scratch[0..<produced])
                }
                switch code {
                case Z_OK:
                    if !outputFull && stream.pointee.avail_in == 0 { return nil }
                case Z_BUF_ERROR:
                    // No progress possible: all input consumed and output flushed.
                    return nil
                case Z_STREAM_END:
                    // BFINAL=1: whatever follows in this message is ignored; reset at its end.
                    streamEnded = true
                    return nil
                default:
                    return .invalid
                }
            }
        }
    }
}
