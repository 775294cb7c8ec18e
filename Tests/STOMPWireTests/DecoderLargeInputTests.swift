import STOMPWire
import XCTest

/// Large inputs fed in tiny pieces. No time is asserted (speed belongs to benchmarks), but a
/// decoder that rescans or copies its buffer per feed is quadratic here and would take minutes,
/// which the suite's run time makes obvious.
final class DecoderLargeInputTests: XCTestCase {
    private func assertDecodes(_ stream: [UInt8], feeding: Feeding, expectedBodyCount: Int, file: StaticString = #filePath, line: UInt = #line) {
        let outcome = decode(stream, feeding: feeding)
        XCTAssertNil(outcome.error, file: file, line: line)
        guard case .frame(let frame)? = outcome.events.first else { return XCTFail("no frame", file: file, line: line) }
        XCTAssertEqual(frame.body.count, expectedBodyCount, file: file, line: line)
    }

    func test64KiBBodyFedByteByByteIsLinear() {
        let body = [UInt8](repeating: 0x62, count: 64 * 1024)
        assertDecodes(bytes("SEND\n\n") + body + [0], feeding: .byteByByte, expectedBodyCount: body.count)
        assertDecodes(bytes("SEND\ncontent-length:\(body.count)\n\n") + body + [0], feeding: .byteByByte, expectedBodyCount: body.count)
    }

    func test4MiBBodyFedIn1KiBChunksIsLinear() {
        let body = [UInt8](repeating: 0x62, count: 4 * 1024 * 1024)
        assertDecodes(bytes("SEND\n\n") + body + [0], feeding: .chunks(1024), expectedBodyCount: body.count)
        assertDecodes(bytes("SEND\ncontent-length:\(body.count)\n\n") + body + [0], feeding: .chunks(1024), expectedBodyCount: body.count)
    }

    func testLongHeaderLinesFedByteByByteAreLinear() {
        let value = String(repeating: "v", count: 8 * 1024 - 2)
        let headers = (0..<60).map { _ in "k:\(value)\n" }.joined()
        assertDecodes(bytes("SEND\n" + headers + "\nx\0"), feeding: .byteByByte, expectedBodyCount: 1)
    }

    func testManySmallFramesInOneFeedDrainTheBuffer() throws {
        let one = bytes("SEND\ndestination:/q\n\nx\0\n")
        var decoder = STOMPDecoder()
        decoder.feed(Array([[UInt8]](repeating: one, count: 20_000).joined()))
        var frames = 0
        var beats = 0
        while let event = try decoder.next() {
            if case .frame = event { frames += 1 } else { beats += 1 }
        }
        XCTAssertEqual(frames, 20_000)
        XCTAssertEqual(beats, 20_000)
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }
}
