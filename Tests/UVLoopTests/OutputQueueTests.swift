import CLibUV
@testable import UVLoop
import XCTest

/// The output queue without sockets: coalescing, partial consumption, chunk reuse.
final class OutputQueueTests: XCTestCase {
    private var iovecs: UnsafeMutablePointer<uv_buf_t>!

    override func setUp() {
        iovecs = .allocate(capacity: OutputQueue.maxPiecesPerCall)
    }

    override func tearDown() {
        iovecs.deallocate()
    }

    private func gathered(_ queue: OutputQueue) -> [[UInt8]] {
        let count = queue.gather(into: iovecs, limit: OutputQueue.maxPiecesPerCall)
        return (0..<count).map { Array(UnsafeRawBufferPointer(start: iovecs[$0].base, count: iovecs[$0].len)) }
    }

    private func appendCopy(_ queue: OutputQueue, _ bytes: [UInt8], _ pool: OutputPool) {
        bytes.withUnsafeBytes { queue.appendCopy($0, pool: pool) }
    }

    func testConsecutiveSmallCopiesCoalesceIntoOneIovec() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        for index in 0..<100 { appendCopy(queue, Array("\(index);".utf8), pool) }
        let expected = (0..<100).flatMap { Array("\($0);".utf8) }
        XCTAssertEqual(gathered(queue), [expected])
        XCTAssertEqual(queue.pendingBytes, expected.count)
    }

    func testCopyOfLargestArenaSizeStaysInTheArenaAndOneMoreByteGetsItsOwnPiece() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let atLimit = pool.takeQueue()
        appendCopy(atLimit, [1], pool)
        appendCopy(atLimit, pattern(count: ArenaChunk.largestCopy), pool)
        XCTAssertEqual(gathered(atLimit).count, 1, "1 + 1024 bytes share one arena piece")

        let overLimit = pool.takeQueue()
        appendCopy(overLimit, [1], pool)
        appendCopy(overLimit, pattern(count: ArenaChunk.largestCopy + 1), pool)
        XCTAssertEqual(gathered(overLimit).map(\.count), [1, ArenaChunk.largestCopy + 1])
    }

    func testSharedBytesAreReferencedNotCopiedOrMerged() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        let shared = SharedBytes([7, 7, 7])
        queue.append(shared)
        appendCopy(queue, [1], pool)
        queue.append(shared)
        XCTAssertEqual(gathered(queue), [[7, 7, 7], [1], [7, 7, 7]])
        XCTAssertEqual(UnsafeRawPointer(iovecs[0].base), shared.baseAddress)
        XCTAssertEqual(UnsafeRawPointer(iovecs[2].base), shared.baseAddress)
    }

    func testSharedBytesLiveUntilTheirLastPieceInAnyQueueIsWritten() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let first = pool.takeQueue(), second = pool.takeQueue()
        weak var watched: SharedBytes?
        do {
            let shared = SharedBytes([1, 2, 3, 4])
            watched = shared
            first.append(shared)
            first.append(shared)
            second.append(shared)
            XCTAssertEqual(shared.loopPieces, 3)
        }
        XCTAssertNotNil(watched, "queued pieces keep the bytes alive without the caller's reference")
        first.consume(6, pool: pool)
        XCTAssertEqual(watched?.loopPieces, 2, "a partly written piece still holds the bytes")
        first.consume(2, pool: pool)
        XCTAssertEqual(watched?.loopPieces, 1)
        second.moveToInFlight(1)
        XCTAssertNotNil(watched, "an in-flight write holds the bytes until it finishes")
        second.finishWrite(pool: pool)
        XCTAssertNil(watched, "freed with the last piece")
    }

    func testDiscardedSharedPiecesReleaseTheirBytes() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        weak var watched: SharedBytes?
        do {
            let shared = SharedBytes([9, 9])
            watched = shared
            queue.markFrameStart()
            queue.append(shared)
            queue.markFrameStart()
            queue.append(shared)
        }
        XCTAssertEqual(queue.discardUnstartedFrames(pool: pool), 2 * (2 + OutputQueue.sharedPieceOverhead))
        XCTAssertNil(watched, "dropping a slow consumer's frames frees their shared bytes")
    }

    func testPartialConsumeKeepsTheRestInOrder() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        queue.append(SharedBytes([1, 2, 3, 4]))
        queue.append(SharedBytes([5, 6]))
        appendCopy(queue, [7, 8, 9], pool)
        queue.consume(5, pool: pool)
        XCTAssertEqual(gathered(queue), [[6], [7, 8, 9]])
        XCTAssertEqual(queue.pendingBytes, 4)
        queue.consume(2, pool: pool)
        XCTAssertEqual(gathered(queue), [[8, 9]])
        queue.consume(1, pool: pool)
        XCTAssertEqual(gathered(queue), [[9]])
        queue.consume(1, pool: pool)
        XCTAssertTrue(queue.isIdle)
        XCTAssertEqual(queue.pendingBytes, 0)
    }

    func testFullChunksReturnToThePoolOnceWritten() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        // Three 1000-byte copies: two fit the first 2 KiB chunk, the third opens a second chunk.
        for seed in 0..<3 { appendCopy(queue, pattern(count: 1_000, seed: seed), pool) }
        XCTAssertEqual(gathered(queue).map(\.count), [2_000, 1_000])
        XCTAssertEqual(pool.pooledChunkCount, 0)
        queue.consume(2_000, pool: pool)
        XCTAssertEqual(pool.pooledChunkCount, 1, "the retired chunk is reusable")
        queue.consume(1_000, pool: pool)
        XCTAssertEqual(pool.pooledChunkCount, 1, "the current chunk stays with its queue")
        pool.recycle(queue)
        XCTAssertEqual(pool.pooledQueueCount, 1)
        XCTAssertTrue(pool.takeQueue() === queue, "queues are reused")
    }

    func testInFlightPiecesAreKeptUntilTheWriteFinishes() {
        let pool = OutputPool(retainedQueueLimit: 4, retainedChunkLimit: 4)
        let queue = pool.takeQueue()
        weak var weakShared: SharedBytes?
        do {
            let shared = SharedBytes(pattern(count: 100))
            weakShared = shared
            queue.append(shared)
        }
        appendCopy(queue, [1, 2], pool)
        XCTAssertEqual(queue.moveToInFlight(1), 100)
        XCTAssertTrue(queue.isWriting)
        appendCopy(queue, [3], pool)
        XCTAssertEqual(gathered(queue), [[1, 2, 3]], "pending pieces still coalesce")
        XCTAssertNotNil(weakShared)
        queue.finishWrite(pool: pool)
        XCTAssertNil(weakShared)
        XCTAssertFalse(queue.isWriting)
    }

    func testPoolRetainsAtMostItsLimit() {
        let pool = OutputPool(retainedQueueLimit: 2, retainedChunkLimit: 2)
        let queues = (0..<3).map { _ in pool.takeQueue() }
        for queue in queues { pool.recycle(queue) }
        XCTAssertEqual(pool.pooledQueueCount, 2)
        for _ in 0..<3 { pool.recycle(ArenaChunk()) }
        XCTAssertEqual(pool.pooledChunkCount, 2)
    }
}
