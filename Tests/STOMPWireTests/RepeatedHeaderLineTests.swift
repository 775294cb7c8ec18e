import STOMPWire
import XCTest

/// A SEND's header lines equal to the previous SEND's are handed out as decoded then (issue
/// 13). Whatever repeats or changes, the frames must be exactly what a fresh decode gives.
final class RepeatedHeaderLineTests: XCTestCase {
    private func send(_ lines: [String], body: String = "") -> [UInt8] {
        Array(("SEND\n" + lines.map { $0 + "\n" }.joined() + "\n" + body + "\0").utf8)
    }

    /// Each frame decoded on its own by a fresh decoder, for comparison.
    private func freshly(_ frames: [[UInt8]], version: STOMPVersion) -> [STOMPDecoder.Event] {
        frames.flatMap { decode($0, version: version).events }
    }

    private func assertSameAsFresh(_ frames: [[UInt8]], version: STOMPVersion = .v1_2, file: StaticString = #filePath, line: UInt = #line) {
        for feeding in [Feeding.whole, .byteByByte, .chunks(7)] {
            let outcome = decode(frames.flatMap { $0 }, version: version, feeding: feeding)
            XCTAssertNil(outcome.error, "\(feeding)", file: file, line: line)
            XCTAssertEqual(outcome.events, freshly(frames, version: version), "\(feeding)", file: file, line: line)
        }
    }

    func testRepeatedLinesDecodeAsTheyDidTheFirstTime() {
        let frame = send(["destination:/queue/a-long-destination-name", "content-type:text/plain", "content-length:2"], body: "hi")
        assertSameAsFresh([frame, frame, frame])
    }

    func testALineThatChangesEverySendLeavesTheOthersRight() {
        assertSameAsFresh((1...5).map { n in
            send(["destination:/queue/a", "receipt:r-\(n)", "content-type:text/plain", "x-n:\(String(repeating: "n", count: n))"])
        })
    }

    func testLinesMovingToOtherPositionsAreDecodedAgain() {
        assertSameAsFresh([
            send(["destination:/queue/a", "x-a:1"]),
            send(["x-a:1", "destination:/queue/a"]),
            send(["destination:/queue/b"]),
            send(["destination:/queue/b", "x-a:1", "x-b:2", "x-c:3"]),
        ])
    }

    func testEscapedLinesRepeatWithTheirDecodedValues() {
        assertSameAsFresh([send(["destination:/queue/a", "x-text:a\\cb\\nc"]), send(["destination:/queue/a", "x-text:a\\cb\\nc"])])
        assertSameAsFresh([send(["destination:/queue/a", "x-text:a\\cb"]), send(["destination:/queue/a", "x-text:a\\cb"])], version: .v1_0)
    }

    func testLongLinesAndManyLinesAreDecodedEveryTime() {
        let long = "x-long:" + String(repeating: "v", count: 200)
        let many = (0..<12).map { "x-\($0):\($0)" }
        assertSameAsFresh([send([long] + many), send([long] + many), send(many + [long])])
    }

    func testOtherFramesBetweenSendsAreUnaffected() {
        let subscribe = Array("SUBSCRIBE\ndestination:/queue/a\nid:1\n\n\0".utf8)
        let frame = send(["destination:/queue/a", "content-type:text/plain"])
        assertSameAsFresh([frame, subscribe, frame, subscribe])
    }

    func testAVersionChangeForgetsTheLinesDecodedUnderTheOldOne() throws {
        // `a\cb` is `a:b` escaped in 1.2 and four literal bytes in 1.0.
        let frame = send(["destination:/queue/a", "x-text:a\\cb"])
        var decoder = STOMPDecoder()
        decoder.version = .v1_2
        decoder.feed(frame)
        guard case .frame(let first)? = try decoder.next() else { return XCTFail("no frame") }
        XCTAssertEqual(first["x-text"], "a:b")
        decoder.version = .v1_0
        decoder.feed(frame)
        guard case .frame(let second)? = try decoder.next() else { return XCTFail("no frame") }
        XCTAssertEqual(second["x-text"], "a\\cb")
    }
}
