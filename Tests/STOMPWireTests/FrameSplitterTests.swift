import STOMPWire
import XCTest

/// `STOMPFrameSplitter` cuts a node's raw STOMP output into one frame per SockJS message.
final class FrameSplitterTests: XCTestCase {
    private let stream = "CONNECTED\nversion:1.2\n\n\u{0}\n"
        + "MESSAGE\ndestination:/topic/a\ncontent-length:5\n\nA\u{0}B\nC\u{0}"
        + "\r\n"
        + "MESSAGE\r\ndestination:/topic/b\r\n\r\nplain body\u{0}"
        + "RECEIPT\nreceipt-id:1\n\n\u{0}"

    private let expected = [
        "CONNECTED\nversion:1.2\n\n\u{0}", "\n",
        "MESSAGE\ndestination:/topic/a\ncontent-length:5\n\nA\u{0}B\nC\u{0}", "\r\n",
        "MESSAGE\r\ndestination:/topic/b\r\n\r\nplain body\u{0}",
        "RECEIPT\nreceipt-id:1\n\n\u{0}",
    ]

    private func split(_ pieces: [[UInt8]]) -> [String] {
        var splitter = STOMPFrameSplitter()
        var frames: [String] = []
        for piece in pieces {
            splitter.feed(piece)
            while let frame = splitter.next() { frames.append(String(decoding: frame, as: UTF8.self)) }
        }
        XCTAssertEqual(splitter.bufferedByteCount, 0)
        return frames
    }

    func testWholeStreamSplitsIntoFramesAndHeartBeats() {
        XCTAssertEqual(split([Array(stream.utf8)]), expected)
    }

    func testStreamFedByteByByteSplitsTheSame() {
        XCTAssertEqual(split(Array(stream.utf8).map { [$0] }), expected)
    }

    func testContentLengthBodyWithNULsIsKeptWhole() {
        var splitter = STOMPFrameSplitter()
        splitter.feed(Array("MESSAGE\ncontent-length:3\n\n\u{0}\u{0}".utf8))
        XCTAssertNil(splitter.next(), "the body is not complete until its length and NUL have arrived")
        splitter.feed([0, 0])
        XCTAssertEqual(splitter.next(), Array("MESSAGE\ncontent-length:3\n\n\u{0}\u{0}\u{0}\u{0}".utf8))
    }
}
