/// Immutable bytes at a stable address, shareable between many connections' output queues
/// (one MESSAGE body referenced by every subscriber's write).
///
/// The bytes are copied once into memory this object owns and are never written again, so
/// reading them from any thread is safe. The address is kept as an integer bit pattern so the
/// class is `Sendable` without an unchecked annotation; it is turned back into a pointer only to
/// build iovecs on the loop thread and to free the memory in `deinit`.
///
/// Output queues refer to it from their pieces without a counted reference each: the pieces of
/// one loop hold a single retain between them, counted in `loopPieces` (see `PieceOwner.shared`).
/// Its pieces must therefore be queued on one loop's connections only, which is how the node and
/// the bench use it (one publication's tail, shared by the subscribers of one loop).
public final class SharedBytes: Sendable {
    private let addressBits: UInt
    /// Number of bytes.
    public let count: Int
    /// Output-queue pieces referring to these bytes that are not written yet. Read and written
    /// on the owning loop's thread only.
    nonisolated(unsafe) var loopPieces = 0

    /// Copies the array into stable memory.
    public convenience init(_ bytes: [UInt8]) {
        self.init(count: bytes.count) { destination in
            bytes.withUnsafeBytes { destination.copyMemory(from: $0) }
        }
    }

    /// Copies the buffer into stable memory.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { destination in
            destination.copyMemory(from: bytes)
        }
    }

    /// Allocates `count` bytes and lets `initialize` fill them (used by the arena for large copies).
    init(count: Int, initialize: (UnsafeMutableRawBufferPointer) -> Void) {
        // One byte at least, so the address is never null, even for an empty message.
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        initialize(UnsafeMutableRawBufferPointer(start: memory, count: count))
        self.addressBits = UInt(bitPattern: memory)
        self.count = count
    }

    deinit {
        UnsafeMutableRawPointer(bitPattern: addressBits)?.deallocate()
    }

    /// The first byte; valid as long as this object is alive.
    var baseAddress: UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: addressBits).unsafelyUnwrapped
    }

    /// Calls `body` with the bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }
}
