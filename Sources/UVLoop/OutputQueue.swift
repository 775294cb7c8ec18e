import CLibUV

/// What keeps a piece's bytes alive until the kernel has them.
enum PieceOwner {
    /// Not a counted reference either: while pieces of the bytes are queued on this loop they
    /// hold one retain between them, taken at the first and dropped with the last
    /// (`SharedBytes.loopPieces`). A retain per piece was one atomic operation per subscriber
    /// of a publication, about 15 % of the node's time in fan-out (issue 13).
    case shared(Unmanaged<SharedBytes>)
    /// Not a counted reference: a chunk with pieces out holds one retain for all of them,
    /// taken at its first piece and dropped with its last (`outstandingPieces`). A reference
    /// per piece cost a retain and a release per delivered frame (issue 13).
    case arena(Unmanaged<ArenaChunk>)
    /// A written slot: holds nothing.
    case none
}

/// A contiguous run of bytes waiting to be written.
struct Piece {
    var base: UnsafeRawPointer
    var count: Int
    let owner: PieceOwner
    /// The first byte of a frame (see `OutputQueue.markFrameStart`), not yet written: everything
    /// from such a piece on can be dropped without cutting a frame in half.
    var startsFrame = false

    /// Overwrites written slots so they stop keeping their bytes alive.
    /// (Its base is never read: any non-null address will do.)
    static var written: Piece { Piece(base: UnsafeRawPointer(bitPattern: 1).unsafelyUnwrapped, count: 0, owner: .none) }
}

/// A block that small copies are appended to. It is reused once every piece cut from it has
/// been written, so copying small pieces allocates nothing in steady state.
// `@exclusivity(unchecked)`: loop-thread state on the per-message path, never accessed
// overlapping (ARCHITECTURE.md, "Exclusivity checks on the per-message path").
final class ArenaChunk {
    static let capacity = 2048
    /// Copies larger than this get their own allocation instead of wasting most of a chunk.
    static let largestCopy = capacity / 2

    let base: UnsafeMutableRawPointer
    @exclusivity(unchecked) var used = 0
    /// Pieces cut from this chunk and not yet written; the chunk is reusable at zero.
    @exclusivity(unchecked) var outstandingPieces = 0

    init() {
        base = .allocate(byteCount: Self.capacity, alignment: 16)
    }

    deinit {
        base.deallocate()
    }
}

/// A connection's output while it has any: the pending pieces (in order), the pieces owned by
/// the one in-flight `uv_write`, the current arena chunk and the write request. Pooled per loop,
/// so an idle connection holds none of it.
final class OutputQueue {
    /// Pieces per `uv_try_write` / `uv_write` call (Linux IOV_MAX).
    static let maxPiecesPerCall = 1024
    /// Piece arrays larger than this are dropped instead of pooled.
    static let retainedPieceCapacity = 128
    /// Memory a piece holding shared bytes costs besides its bytes, as the budget counts it: the
    /// piece's slot (32 bytes) plus the `SharedBytes` object and the malloc headers of it and its
    /// storage. Measured: 1 M MESSAGEs of 64-byte bodies queued for never-reading subscribers
    /// grew RSS by 1.85× the bytes counted without it (about 113 bytes per message more); with
    /// it the budget's figure is within RSS's (docs/benchmarks.md). Arena copies cost their bytes.
    static let sharedPieceOverhead = 112

    @exclusivity(unchecked) private var pieces: [Piece] = []
    /// Index of the first pending piece; pieces before it are written and no longer read.
    @exclusivity(unchecked) private var head = 0
    /// Bytes in pending pieces (not yet handed to the kernel or to `uv_write`).
    @exclusivity(unchecked) private(set) var pendingBytes = 0
    /// Pieces the in-flight `uv_write` points into; kept alive until its callback.
    @exclusivity(unchecked) private var inFlight: [Piece] = []
    /// Bytes of the in-flight pieces (held until the write callback).
    @exclusivity(unchecked) private(set) var inFlightBytes = 0
    /// Pending and in-flight pieces that hold shared bytes (each costs `sharedPieceOverhead`).
    @exclusivity(unchecked) private var sharedPieces = 0
    /// The next appended piece starts a frame (`markFrameStart`).
    @exclusivity(unchecked) private var nextPieceStartsFrame = false
    /// The chunk copies go into. Held with one manual retain and used through `Unmanaged`, so
    /// a copy costs no reference counting (issue 13), like the pieces' references to it.
    @exclusivity(unchecked) private var chunk: Unmanaged<ArenaChunk>?
    /// The request of the single `uv_write` a connection may have in flight.
    let writeRequest: UnsafeMutablePointer<uv_write_t> = .allocate(capacity: 1)

    deinit {
        // Only idle queues are dropped (never one with a write in flight).
        chunk?.release()
        writeRequest.deallocate()
    }

    var hasPending: Bool { head < pieces.count }
    var isWriting: Bool { !inFlight.isEmpty }
    var isIdle: Bool { !hasPending && !isWriting }
    /// The memory this queue keeps alive as the budget counts it: pending and in-flight bytes,
    /// plus each shared piece's overhead. Every method that adds or drops pieces returns its
    /// change of this figure, so the loop's counter moves by exactly what was added and dropped.
    var heldBytes: Int { pendingBytes + inFlightBytes + sharedPieces * Self.sharedPieceOverhead }

    /// The next piece appended is the first byte of a frame: a cut-off (slow consumer) may drop
    /// the queue from there on and the peer still sees whole frames.
    func markFrameStart() {
        nextPieceStartsFrame = true
    }

    /// Appends a reference to shared bytes (no copy). Returns the growth of `heldBytes`.
    @discardableResult
    func append(_ bytes: SharedBytes) -> Int {
        append(unretained: .passUnretained(bytes))
    }

    /// `append(_:)` of bytes the caller keeps alive during the call, taken without a counted
    /// reference (see `TCPConnection.enqueueFrame(copying:sharingUnretained:)`).
    @discardableResult
    func append(unretained bytes: Unmanaged<SharedBytes>) -> Int {
        let (base, count, isFirst) = bytes._withUnsafeGuaranteedRef { shared -> (UnsafeRawPointer, Int, Bool) in
            shared.loopPieces += 1
            return (shared.baseAddress, shared.count, shared.loopPieces == 1)
        }
        if isFirst { _ = bytes.retain() }  // see PieceOwner.shared
        pieces.append(Piece(base: base, count: count, owner: .shared(bytes), startsFrame: nextPieceStartsFrame))
        nextPieceStartsFrame = false
        pendingBytes += count
        sharedPieces += 1
        return count + Self.sharedPieceOverhead
    }

    /// Copies `bytes` into the arena, extending the last piece when it ends where the copy starts.
    /// Returns the growth of `heldBytes`.
    @discardableResult
    func appendCopy(_ bytes: UnsafeRawBufferPointer, pool: OutputPool) -> Int {
        let count = bytes.count
        guard let source = bytes.baseAddress, count > 0 else { return 0 }
        if count > ArenaChunk.largestCopy {
            return append(SharedBytes(count: count) { $0.copyMemory(from: bytes) })
        }
        if chunk == nil { chunk = .passRetained(pool.takeChunk()) }
        var current = chunk.unsafelyUnwrapped
        let full = current._withUnsafeGuaranteedRef { chunk -> Bool in
            if chunk.outstandingPieces == 0 { chunk.used = 0 }
            return ArenaChunk.capacity - chunk.used < count
        }
        if full {
            // The full chunk has pieces out (an empty one was reset above): it stays alive
            // through their retain and returns to the pool when they are written (`release`).
            current.release()
            current = .passRetained(pool.takeChunk())
            chunk = current
        }
        current._withUnsafeGuaranteedRef { arena in
            let destination = arena.base + arena.used
            destination.copyMemory(from: source, byteCount: count)
            arena.used += count
            pendingBytes += count
            // The last piece is in this chunk when it starts inside it (a piece never spans two
            // blocks): decided from addresses, without binding (and retaining) the piece's owner.
            let chunkStart = UnsafeRawPointer(arena.base)
            if !nextPieceStartsFrame, head < pieces.count,
                pieces[pieces.count - 1].base >= chunkStart, pieces[pieces.count - 1].base < chunkStart + ArenaChunk.capacity,
                pieces[pieces.count - 1].base + pieces[pieces.count - 1].count == UnsafeRawPointer(destination)
            {
                pieces[pieces.count - 1].count += count
            } else {
                if arena.outstandingPieces == 0 { _ = current.retain() }  // see PieceOwner.arena
                pieces.append(Piece(base: UnsafeRawPointer(destination), count: count, owner: .arena(current), startsFrame: nextPieceStartsFrame))
                arena.outstandingPieces += 1
            }
        }
        nextPieceStartsFrame = false
        return count
    }

    /// Fills `iovecs` with up to `limit` pending pieces from the front; returns how many.
    func gather(into iovecs: UnsafeMutablePointer<uv_buf_t>, limit: Int) -> Int {
        let count = min(limit, pieces.count - head)
        for index in 0..<count {
            let piece = pieces[head + index]
            iovecs[index] = uv_buf_t(
                base: UnsafeMutableRawPointer(mutating: piece.base).assumingMemoryBound(to: CChar.self),
                len: piece.count
            )
        }
        return count
    }

    /// Drops `byteCount` written bytes from the front of the pending pieces. Returns the drop
    /// of `heldBytes`.
    @discardableResult
    func consume(_ byteCount: Int, pool: OutputPool) -> Int {
        var remaining = byteCount
        var released = byteCount
        pendingBytes -= byteCount
        while remaining > 0 {
            let count = pieces[head].count
            if count <= remaining {
                remaining -= count
                released += release(pieces[head], pool: pool)
                pieces[head] = .written
                head += 1
            } else {
                pieces[head].base += remaining
                pieces[head].count -= remaining
                // Started on the wire: the rest must follow.
                pieces[head].startsFrame = false
                remaining = 0
            }
        }
        compact()
        return released
    }

    /// Moves the first `count` pending pieces to the in-flight write; returns their byte count.
    @discardableResult
    func moveToInFlight(_ count: Int) -> Int {
        var bytes = 0
        for index in head..<(head + count) {
            inFlight.append(pieces[index])
            bytes += pieces[index].count
            pieces[index] = .written
        }
        head += count
        pendingBytes -= bytes
        inFlightBytes += bytes
        compact()
        return bytes
    }

    /// The in-flight write finished (or failed): its pieces may go. Returns the drop of `heldBytes`.
    @discardableResult
    func finishWrite(pool: OutputPool) -> Int {
        var released = inFlightBytes
        for piece in inFlight { released += release(piece, pool: pool) }
        inFlight.removeAll(keepingCapacity: inFlight.capacity <= Self.retainedPieceCapacity)
        inFlightBytes = 0
        return released
    }

    /// Drops everything (the connection closed). Returns the drop of `heldBytes`.
    @discardableResult
    func discardAll(pool: OutputPool) -> Int {
        var released = finishWrite(pool: pool)
        for index in head..<pieces.count { released += release(pieces[index], pool: pool) }
        released += pendingBytes
        head = pieces.count
        pendingBytes = 0
        nextPieceStartsFrame = false
        compact()
        return released
    }

    /// Drops the pending pieces from the first frame that has not started on the wire: what
    /// stays (the in-flight write and the rest of a frame already begun) still goes out whole.
    /// Returns the drop of `heldBytes`.
    func discardUnstartedFrames(pool: OutputPool) -> Int {
        guard let first = (head..<pieces.count).first(where: { pieces[$0].startsFrame }) else { return 0 }
        var bytes = 0, overhead = 0
        for index in first..<pieces.count {
            bytes += pieces[index].count
            overhead += release(pieces[index], pool: pool)
        }
        pieces.removeSubrange(first..<pieces.count)
        pendingBytes -= bytes
        let dropped = bytes + overhead
        nextPieceStartsFrame = false
        compact()
        return dropped
    }

    /// Resets an idle queue before it goes back to the pool; keeps its chunk for the next user.
    func prepareForReuse() {
        precondition(isIdle, "only idle output queues are pooled")
        if pieces.capacity > Self.retainedPieceCapacity { pieces = [] }
        if inFlight.capacity > Self.retainedPieceCapacity { inFlight = [] }
        chunk?._withUnsafeGuaranteedRef { $0.used = 0 }
        nextPieceStartsFrame = false
    }

    /// A piece leaves the queue; returns the overhead it stops costing.
    private func release(_ piece: Piece, pool: OutputPool) -> Int {
        switch piece.owner {
        case .shared(let unmanaged):
            sharedPieces -= 1
            let drained = unmanaged._withUnsafeGuaranteedRef { bytes -> Bool in
                bytes.loopPieces -= 1
                return bytes.loopPieces == 0
            }
            if drained { unmanaged.release() }  // the pieces' one retain (PieceOwner.shared)
            return Self.sharedPieceOverhead
        case .arena(let unmanaged):
            let drained = unmanaged._withUnsafeGuaranteedRef { owner -> Bool in
                owner.outstandingPieces -= 1
                guard owner.outstandingPieces == 0 else { return false }
                if unmanaged.toOpaque() != chunk?.toOpaque() { pool.recycle(owner) }
                return true
            }
            if drained { unmanaged.release() }  // the pieces' one retain (PieceOwner.arena)
            return 0
        case .none:
            return 0
        }
    }

    /// Forgets written pieces: all at once when drained, otherwise when they are half the array.
    private func compact() {
        if head == pieces.count {
            pieces.removeAll(keepingCapacity: pieces.capacity <= Self.retainedPieceCapacity)
            head = 0
        } else if head >= 256 && head * 2 >= pieces.count {
            pieces.removeSubrange(0..<head)
            head = 0
        }
    }
}

/// Per-loop free lists of output queues and arena chunks, bounded so a burst does not pin memory.
final class OutputPool {
    @exclusivity(unchecked) private var queues: [OutputQueue] = []
    @exclusivity(unchecked) private var chunks: [ArenaChunk] = []
    let retainedQueueLimit: Int
    let retainedChunkLimit: Int

    init(retainedQueueLimit: Int, retainedChunkLimit: Int) {
        self.retainedQueueLimit = retainedQueueLimit
        self.retainedChunkLimit = retainedChunkLimit
    }

    var pooledQueueCount: Int { queues.count }
    var pooledChunkCount: Int { chunks.count }

    func takeQueue() -> OutputQueue {
        queues.popLast() ?? OutputQueue()
    }

    func recycle(_ queue: OutputQueue) {
        queue.prepareForReuse()
        if queues.count < retainedQueueLimit { queues.append(queue) }
    }

    func takeChunk() -> ArenaChunk {
        if let chunk = chunks.popLast() {
            chunk.used = 0
            return chunk
        }
        return ArenaChunk()
    }

    func recycle(_ chunk: ArenaChunk) {
        if chunks.count < retainedChunkLimit { chunks.append(chunk) }
    }

    func removeAll() {
        queues.removeAll()
        chunks.removeAll()
    }
}
