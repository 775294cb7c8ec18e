import UVLoop
import XCTest

/// In-process connection pairs (the planned SockJS sessions' link to an ordinary client connection).
final class PairTests: XCTestCase {
    override func setUp() {
        ignoreSIGPIPE()
    }

    func testPairCarriesBytesBothWaysAndReportsTheOtherEndClosing() throws {
        let loop = try EventLoop()
        let (left, right) = try TCPConnection.pair(loop: loop)
        let leftDelegate = RecordingDelegate(), rightDelegate = RecordingDelegate()
        left.delegate = leftDelegate
        right.delegate = rightDelegate
        left.startReadingPairEnd()
        right.startReadingPairEnd()
        XCTAssertEqual(left.peerAddress, "in-process")

        left.enqueue(Array("CONNECT\n\n\0".utf8))
        right.enqueue(pattern(count: 100_000, seed: 3))
        spin(loop) { rightDelegate.received.count == 10 && leftDelegate.received.count == 100_000 }
        XCTAssertEqual(rightDelegate.received, Array("CONNECT\n\n\0".utf8))
        XCTAssertEqual(leftDelegate.received, pattern(count: 100_000, seed: 3))

        left.close()
        spin(loop) { leftDelegate.closeCount == 1 && rightDelegate.closeCount == 1 }
        right.close()
        assertLoopClosesCleanly(loop)
    }
}
