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

    private func splitInPlace(_ pieces: [[UInt8]]) -> (frames: [String], bodies: [String]) {
        var splitter = STOMPFrameSplitter()
        var frames: [String] = [], bodies: [String] = []
        for piece in pieces {
            piece.withUnsafeBytes { bytes in
                splitter.split(bytes) { frame in
                    frames.append(String(decoding: frame.bytes, as: UTF8.self))
                    if let body = frame.messageBody { bodies.append(String(decoding: body, as: UTF8.self)) }
                }
            }
        }
        XCTAssertEqual(splitter.bufferedByteCount, 0)
        return (frames, bodies)
    }

    func testSplittingInPlaceFindsTheSamePiecesAndTheMessageBodies() {
        let whole = splitInPlace([Array(stream.utf8)])
        XCTAssertEqual(whole.frames, expected)
        XCTAssertEqual(whole.bodies, ["A\u{0}B\nC", "plain body"], "only MESSAGE frames have a message body")
        let byteByByte = splitInPlace(Array(stream.utf8).map { [$0] })
        XCTAssertEqual(byteByByte.frames, expected)
        XCTAssertEqual(byteByByte.bodies, whole.bodies)
    }

    func testSplittingInPlaceKeepsOnlyTheTrailingPartialFrame() {
        var splitter = STOMPFrameSplitter()
        var frames: [String] = []
        let first = Array("RECEIPT\nreceipt-id:1\n\n\u{0}MESSAGE\ncontent-le".utf8)
        first.withUnsafeBytes { bytes in splitter.split(bytes) { frames.append(String(decoding: $0.bytes, as: UTF8.self)) } }
        XCTAssertEqual(frames, ["RECEIPT\nreceipt-id:1\n\n\u{0}"])
        XCTAssertEqual(splitter.bufferedByteCount, 18)
        let rest = Array("ngth:2\n\nhi\u{0}\n".utf8)
        var bodies: [String] = []
        rest.withUnsafeBytes { bytes in
            splitter.split(bytes) { piece in
                frames.append(String(decoding: piece.bytes, as: UTF8.self))
                if let body = piece.messageBody { bodies.append(String(decoding: body, as: UTF8.self)) }
            }
        }
        XCTAssertEqual(frames.suffix(2), ["MESSAGE\ncontent-length:2\n\nhi\u{0}", "\n"])
        XCTAssertEqual(bodies, ["hi"])
        XCTAssertEqual(splitter.bufferedByteCount, 0)
    }
}
