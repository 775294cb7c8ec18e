import SockJSWire
import XCTest

/// Frames and JSON as sockjs-protocol-0.3.3.py expects them.
final class SockJSFrameTests: XCTestCase {
    func testFramesHaveTheProtocolText() {
        XCTAssertEqual(SockJSFrame.open.text, "o")
        XCTAssertEqual(SockJSFrame.heartbeat.text, "h")
        XCTAssertEqual(SockJSFrame.messages(["a"]).text, #"a["a"]"#)
        XCTAssertEqual(SockJSFrame.messages(["a", "b c"]).text, #"a["a","b c"]"#)
        XCTAssertEqual(SockJSFrame.goAway.text, #"c[3000,"Go away!"]"#)
        XCTAssertEqual(SockJSFrame.anotherConnectionOpen.text, #"c[2010,"Another connection still open"]"#)
    }

    func testControlCharactersAreEscapedLikeTheEventSourceTest() {
        // EventSource.test_transport: ["  \u0000\n\r "] comes back as a["  \u0000\n\r "].
        XCTAssertEqual(SockJSFrame.messages(["  \u{0}\n\r "]).text, #"a["  \u0000\n\r "]"#)
        XCTAssertEqual(SockJSJSON.quote("\"\\/\t"), #""\"\\/\t""#)
    }

    func testServerEscapesTheCharactersBrowsersMangle() {
        // JSONEncoding.test_xhr_server_encodes: every char of escapable_by_server from U+00FF up
        // comes back as a lowercase \uXXXX escape.
        let ranges: [ClosedRange<UInt32>] = [0x200C...0x200F, 0x2028...0x202F, 0x2060...0x206F, 0xFFF0...0xFFFF]
        var input = ""
        var expected = "\""
        for range in ranges {
            for value in range {
                input.unicodeScalars.append(Unicode.Scalar(value)!)
                expected += "\\u" + String(value, radix: 16).leftPadded(to: 4)
            }
        }
        expected += "\""
        XCTAssertEqual(SockJSJSON.quote(input), expected)
        // Ordinary non-ASCII text passes as UTF-8.
        XCTAssertEqual(SockJSJSON.quote("héllo ☃ 😀"), "\"héllo ☃ 😀\"")
    }

    func testClientPayloadsDecode() {
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array(#"["a"]"#.utf8)).get(), ["a"])
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array(#" [ "a" , "b" ] "#.utf8)).get(), ["a", "b"])
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array("[]".utf8)).get(), [])
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array(#""single""#.utf8)).get(), ["single"])
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array(#"["\u0041\n\"\\\/\ud83d\ude00é"]"#.utf8)).get(), ["A\n\"\\/😀é"])
        XCTAssertEqual(try SockJSJSON.decodeMessages(Array("[\"CONNECT\\naccept-version:1.2\\n\\n\\u0000\"]".utf8)).get(),
                       ["CONNECT\naccept-version:1.2\n\n\u{0}"])
    }

    func testBrokenPayloadsAreRefusedWithTheProtocolMessages() {
        XCTAssertEqual(SockJSJSON.decodeMessages([]), .failure(.payloadExpected))
        XCTAssertEqual(SockJSJSON.decodeMessages(Array("  ".utf8)), .failure(.payloadExpected))
        for broken in [#"["x"#, #"["a""#, "[1]", #"["a",]"#, #"["a"] x"#, "{}", #"["\q"]"#, #"["\u12"]"#, "[\"a\nb\"]"] {
            XCTAssertEqual(SockJSJSON.decodeMessages(Array(broken.utf8)), .failure(.brokenJSON), broken)
        }
        XCTAssertEqual(SockJSJSON.DecodeError.brokenJSON.message, "Broken JSON encoding.")
        XCTAssertEqual(SockJSJSON.DecodeError.payloadExpected.message, "Payload expected.")
    }

    func testInvalidUTF8IsBrokenJSON() {
        XCTAssertEqual(SockJSJSON.decodeMessages([0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D]), .failure(.brokenJSON))
    }

    func testDecodeRoundTripsWhatQuoteProduces() {
        let texts = ["", "plain", "MESSAGE\ndestination:/topic/a\n\nbody\u{0}", "\u{2028}\u{FFFF}\u{1}", "😀 ☃"]
        for text in texts {
            let payload = "[" + SockJSJSON.quote(text) + "]"
            XCTAssertEqual(try SockJSJSON.decodeMessages(Array(payload.utf8)).get(), [text])
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
