import CLibUV
import UVLoop
import XCTest

final class EventLoopTests: XCTestCase {
    func testFreshLoopHasNoOpenHandlesAndClosesCleanly() throws {
        let loop = try EventLoop()
        XCTAssertEqual(loop.openHandleCount, 0, "the internal flush and linger handles are not counted")
        loop.run()  // internal handles are unref'd: returns at once
        XCTAssertNoThrow(try loop.close())
        XCTAssertNoThrow(try loop.close(), "closing twice is harmless")
    }

    func testCloseThrowsBusyWhileAHandleIsOpen() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        let listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { _ in }
        XCTAssertEqual(loop.openHandleCount, 2)
        XCTAssertThrowsError(try loop.close()) { error in
            XCTAssertEqual(error as? UVError, .busy)
        }
        timer.close()
        XCTAssertEqual(loop.openHandleCount, 1, "a closing handle is not counted")
        listener.close()
        assertLoopClosesCleanly(loop)
    }

    func testNowAdvancesWithUpdateTime() throws {
        let loop = try EventLoop()
        loop.updateTime()
        let before = loop.nowMilliseconds
        idle(loop, milliseconds: 15)
        loop.updateTime()
        XCTAssertGreaterThanOrEqual(loop.nowMilliseconds - before, 15)
        assertLoopClosesCleanly(loop)
    }

    func testStopEndsRun() throws {
        let loop = try EventLoop()
        let timer = Timer(loop: loop)
        var fired = 0
        timer.start(afterMilliseconds: 1, repeatMilliseconds: 1) {
            fired += 1
            loop.stop()
        }
        loop.run()
        XCTAssertEqual(fired, 1)
        timer.close()
        assertLoopClosesCleanly(loop)
    }

    func testUVErrorNamesAndDescribesLibuvCodes() {
        let reset = UVError(code: Int32(UV_ECONNRESET.rawValue))
        XCTAssertEqual(reset, .connectionReset)
        XCTAssertEqual(reset.name, "ECONNRESET")
        XCTAssertEqual(reset.description, "ECONNRESET: connection reset by peer")
        XCTAssertEqual(UVError.endOfFile.name, "EOF")
        XCTAssertEqual(UVError(code: -123_456).name, "Unknown system error -123456")
    }

    func testSharedBytesCopiesItsInput() {
        var source: [UInt8] = [1, 2, 3]
        let shared = SharedBytes(source)
        source[0] = 9
        XCTAssertEqual(shared.count, 3)
        XCTAssertEqual(shared.withUnsafeBytes { Array($0) }, [1, 2, 3])
        let copied = source.withUnsafeBytes { SharedBytes(copying: $0) }
        XCTAssertEqual(copied.withUnsafeBytes { Array($0) }, [9, 2, 3])
        XCTAssertEqual(SharedBytes([]).count, 0)
    }
}
