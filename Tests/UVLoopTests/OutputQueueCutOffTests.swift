import CLibUV
@testable import UVLoop
import XCTest

/// Dropping what a cut-off client has not started to receive, and the byte accounting.
final class OutputQueueCutOffTests: XCTestCase {
    private var iovecs: UnsafeMutablePointer<uv_buf_t>!

    override func setUp() { iovecs = .allocate(capacity: OutputQueue.maxPiecesPerCall) }
    override func tearDown() { iovecs.deallocate() }

    private func pendingBytes(_ queue: OutputQueue) -> [UInt8] {
        let count = queue.gather(into: iovecs, limit: OutputQueue.maxPiecesPerCall)
        return (0..<count).flatMap { Array(UnsafeRawBufferPointer(start: iovecs[$0].base, count: iovecs[$0].len)) }
    }

    /// Frame = a copied head + a shared tail, as MESSAGEs are written. Returns the growth of
    /// `heldBytes`.
    @discardableResult
    private func appendFrame(_ queue: OutputQueue, head: [UInt8], tail: SharedBytes, pool: OutputPool) -> Int {
        queue.markFrameStart()
        return head.withUnsafeBytes { queue.appendCopy($0, pool: pool) } + queue.append(tail)
    }

    func testUnstartedFramesAreDroppedAndAFrameBegunOnTheWireStaysWhole() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        let tail = SharedBytes([UInt8](repeating: 9, count: 10))
        for index in 0..<3 { appendFrame(queue, head: [UInt8(index), UInt8(index)], tail: tail, pool: pool) }
        XCTAssertEqual(queue.pendingBytes, 36)
        queue.consume(5, pool: pool)  // inside frame 0's tail
        XCTAssertEqual(queue.discardUnstartedFrames(pool: pool), 24 + 2 * OutputQueue.sharedPieceOverhead, "frames 1 and 2 never started")
        XCTAssertEqual(pendingBytes(queue), [UInt8](repeating: 9, count: 7), "the rest of frame 0 still goes out")
        XCTAssertEqual(queue.pendingBytes, 7)
    }

    func testAFrameWhoseFirstPieceWasPartlyWrittenIsKept() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        let tail = SharedBytes([1, 2, 3])
        appendFrame(queue, head: [7, 7, 7, 7], tail: tail, pool: pool)
        appendFrame(queue, head: [8, 8, 8, 8], tail: tail, pool: pool)
        queue.consume(1, pool: pool)
        XCTAssertEqual(queue.discardUnstartedFrames(pool: pool), 7 + OutputQueue.sharedPieceOverhead)
        XCTAssertEqual(pendingBytes(queue), [7, 7, 7, 1, 2, 3])
    }

    func testACopyStartingAFrameIsNotMergedIntoThePreviousFramesPiece() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        queue.markFrameStart()
        _ = ([1, 1] as [UInt8]).withUnsafeBytes { queue.appendCopy($0, pool: pool) }
        queue.markFrameStart()
        _ = ([2, 2] as [UInt8]).withUnsafeBytes { queue.appendCopy($0, pool: pool) }
        queue.consume(1, pool: pool)
        XCTAssertEqual(queue.discardUnstartedFrames(pool: pool), 2)
        XCTAssertEqual(pendingBytes(queue), [1])
    }

    func testInFlightBytesAreNeverDroppedAndCountUntilTheWriteFinishes() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        let tail = SharedBytes([UInt8](repeating: 5, count: 100))
        appendFrame(queue, head: [1], tail: tail, pool: pool)
        let count = queue.gather(into: iovecs, limit: OutputQueue.maxPiecesPerCall)
        queue.moveToInFlight(count)
        appendFrame(queue, head: [2], tail: tail, pool: pool)
        let overhead = OutputQueue.sharedPieceOverhead  // each shared tail's piece
        XCTAssertEqual(queue.heldBytes, 202 + 2 * overhead)
        XCTAssertEqual(queue.discardUnstartedFrames(pool: pool), 101 + overhead)
        XCTAssertEqual(queue.heldBytes, 101 + overhead)
        XCTAssertEqual(queue.finishWrite(pool: pool), 101 + overhead)
        XCTAssertEqual(queue.heldBytes, 0)
    }

    /// Every byte added is subtracted exactly once: written, dropped or discarded at close (and
    /// each shared piece's overhead with the piece).
    func testEveryByteAddedIsReleasedExactlyOnce() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        var added = 0, released = 0
        let tail = SharedBytes([UInt8](repeating: 3, count: 50))
        for round in 0..<20 {
            let grown = appendFrame(queue, head: [UInt8](repeating: 1, count: 1 + round), tail: tail, pool: pool)
            XCTAssertEqual(grown, 51 + round + OutputQueue.sharedPieceOverhead)
            added += grown
            switch round % 4 {
            case 0:
                released += queue.consume(min(queue.pendingBytes, 17), pool: pool)
            case 1:
                if !queue.isWriting { queue.moveToInFlight(queue.gather(into: iovecs, limit: 2)) }
            case 2: released += queue.finishWrite(pool: pool)
            default: released += queue.discardUnstartedFrames(pool: pool)
            }
            XCTAssertEqual(queue.heldBytes, added - released)
        }
        released += queue.discardAll(pool: pool)
        XCTAssertEqual(released, added)
        XCTAssertEqual(queue.heldBytes, 0)
    }
}
