import XCTest
@testable import STOMPWire

final class STOMPHeadersTests: XCTestCase {
    private func header(_ name: String, _ value: String) -> STOMPHeader { STOMPHeader(name: name, value: value) }

    func testHeadersKeepWireOrderRepeatedNamesAndColonsInValues() {
        let headers = STOMPHeaders([("destination", "/queue/a"), ("x", "1:2"), ("x", "second"), ("empty", "")])
        XCTAssertEqual(Array(headers), [header("destination", "/queue/a"), header("x", "1:2"), header("x", "second"), header("empty", "")])
        XCTAssertEqual(headers.value(named: "x"), "1:2", "the first occurrence wins")
        XCTAssertEqual(headers.values(named: "x"), ["1:2", "second"])
        XCTAssertNil(headers.value(named: "missing"))
        XCTAssertEqual(headers.firstIndex(named: "empty"), 3)
        XCTAssertTrue(headers.hasName("destination", at: 0))
        XCTAssertFalse(headers.hasName("destinatio", at: 0))
        XCTAssertEqual(headers.nameByteCount(at: 1), 1)
        XCTAssertEqual(headers.withValue(at: 1) { Array($0) }, Array("1:2".utf8))
        XCTAssertEqual(headers.withName(at: 0) { $0.spells("destination") }, true)
    }

    func testEqualityComparesNamesAndValuesNotHowTheBytesAreLaidOut() {
        var replaced = STOMPHeaders([("a", "old"), ("b", "2")])
        replaced[0] = header("a", "1")
        var trimmed = STOMPHeaders([("gone", "x"), ("a", "1"), ("b", "2")])
        trimmed.removeEntries { name, _ in name.spells("gone") }
        let plain: STOMPHeaders = [header("a", "1"), header("b", "2")]
        XCTAssertEqual(replaced, plain)
        XCTAssertEqual(trimmed, plain)
        XCTAssertNotEqual(plain, [header("a", "1"), header("b", "3")])
        XCTAssertNotEqual(plain, [header("a", "1")])
        XCTAssertNotEqual(plain, [header("b", "2"), header("a", "1")])
    }

    func testRemovingEntriesSeesEveryHeaderInOrderAndKeepsTheRest() {
        var headers = STOMPHeaders([("destination", "/q"), ("receipt", "r1"), ("keep", "1"), ("receipt", "r2"), ("keep", "2")])
        var seen: [String] = []
        headers.removeEntries { name, value in
            seen.append(String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
            return name.spells("receipt") || name.spells("destination")
        }
        XCTAssertEqual(seen, ["destination=/q", "receipt=r1", "keep=1", "receipt=r2", "keep=2"])
        XCTAssertEqual(Array(headers), [header("keep", "1"), header("keep", "2")])
        headers.append(name: "after", value: "3")
        XCTAssertEqual(headers.map(\.name), ["keep", "keep", "after"])
        headers.removeEntries { _, _ in true }
        XCTAssertTrue(headers.isEmpty)
        headers.append(name: "again", value: "4")
        XCTAssertEqual(Array(headers), [header("again", "4")])
    }

    func testEditsMatchTheSameEditsOnAnArray() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var headers = STOMPHeaders()
            var model: [STOMPHeader] = []
            for step in 0..<60 {
                let made = header("h\(Int.random(in: 0..<5, using: &generator))", String(repeating: "v", count: Int.random(in: 0..<40, using: &generator)) + "\(step)")
                switch Int.random(in: 0..<6, using: &generator) {
                case 0, 1:
                    headers.append(made); model.append(made)
                case 2 where !model.isEmpty:
                    let index = Int.random(in: 0..<model.count, using: &generator)
                    headers[index] = made; model[index] = made
                case 3 where !model.isEmpty:
                    let index = Int.random(in: 0..<model.count, using: &generator)
                    headers.remove(at: index); model.remove(at: index)
                case 4:
                    let index = Int.random(in: 0...model.count, using: &generator)
                    headers.insert(made, at: index); model.insert(made, at: index)
                case 5:
                    headers.setValue(made.value, forName: made.name)
                    if let index = model.firstIndex(where: { $0.name == made.name }) { model[index].value = made.value } else { model.append(made) }
                default:
                    break
                }
                XCTAssertEqual(Array(headers), model, "round \(round) step \(step)")
            }
            XCTAssertEqual(headers, STOMPHeaders(model))
        }
    }

    func testAHeaderWithNothingToEscapeIsWrittenAsStoredInEveryVersion() {
        let headers = STOMPHeaders([("destination", "/topic/a.b"), ("x-ünïcode", "值")])
        for version in STOMPVersion.allCases {
            var out: [UInt8] = []
            headers.encode(HeaderEscaping(command: .MESSAGE, version: version), into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "destination:/topic/a.b\nx-ünïcode:值\n", "\(version)")
        }
    }

    func testHeadersThatNeedEscapingAreEscapedForEachVersion() {
        let headers = STOMPHeaders([("a:b", "c:d"), ("line", "1\n2\r3\\")])
        let expected: [(STOMPVersion, String)] = [
            (.v1_2, "a\\cb:c\\cd\nline:1\\n2\\r3\\\\\n"),
            (.v1_1, "a\\cb:c\\cd\nline:1\\n2\r3\\\\\n"),
            (.v1_0, "a:b:c:d\nline:1 2 3\\\n"),
        ]
        for (version, text) in expected {
            var out: [UInt8] = []
            headers.encode(HeaderEscaping(command: .MESSAGE, version: version), into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), text, "\(version)")
        }
    }

    func testContentLengthIsFoundByName() {
        XCTAssertTrue(STOMPHeaders([("content-length", "3")]).hasContentLength)
        XCTAssertFalse(STOMPHeaders([("content-type", "text/plain"), ("content-lengths", "3")]).hasContentLength)
    }

    func testSpellsComparesEveryByte() {
        for (text, literal, expected) in [("destination", "destination", true), ("destinatioN", "destination", false), ("dest", "destination", false), ("", "", true)] as [(String, StaticString, Bool)] {
            let bytes = Array(text.utf8)
            XCTAssertEqual(bytes.withUnsafeBufferPointer { $0.spells(literal) }, expected, text)
        }
    }
}

/// Headers as the decoder keeps them: the bytes of a line go to subscribers unchanged unless
/// an escape, a CR or a second colon makes the writing depend on the subscriber's version.
final class DecodedHeaderBytesTests: XCTestCase {
    private func decodeSEND(_ head: String, version: STOMPVersion) throws -> STOMPFrame {
        var decoder = STOMPDecoder()
        decoder.version = version
        decoder.feed(Array(("SEND\n" + head + "\n").utf8) + [0])
        guard case .frame(let frame)? = try decoder.next() else {
            XCTFail("no frame")
            return STOMPFrame(.SEND)
        }
        return frame
    }

    private func tail(_ headers: STOMPHeaders, _ version: STOMPVersion) -> String {
        // Without the frame's final NUL.
        String(decoding: STOMPEncoder.encodeMessageTail(headers: headers, body: [], version: version).dropLast(), as: UTF8.self)
    }

    func testLinesWithoutEscapesAreWrittenAsReceivedInEveryVersion() throws {
        for version in STOMPVersion.allCases {
            let frame = try decodeSEND("destination:/queue/a\nx-note:caf\u{E9} \u{503C}\n", version: version)
            XCTAssertEqual(frame["x-note"], "caf\u{E9} \u{503C}")
            for out in STOMPVersion.allCases {
                XCTAssertEqual(tail(frame.headers, out), "destination:/queue/a\nx-note:caf\u{E9} \u{503C}\n\n", "\(version) to \(out)")
            }
        }
    }

    func testCRLFLineEndingsAreNotPartOfTheHeader() throws {
        let frame = try decodeSEND("destination:/queue/a\r\nk:v\r\n\r", version: .v1_2)
        XCTAssertEqual(Array(frame.headers), [STOMPHeader(name: "destination", value: "/queue/a"), STOMPHeader(name: "k", value: "v")])
        XCTAssertEqual(tail(frame.headers, .v1_2), "destination:/queue/a\nk:v\n\n")
    }

    func testEscapedAndSpecialBytesAreRewrittenForTheSubscribersVersion() throws {
        // 1.2 escapes; a colon in a value; a CR that 1.1 keeps in the value.
        let frame12 = try decodeSEND("a\\cb:1\\n2\nurl:http://x\n", version: .v1_2)
        XCTAssertEqual(Array(frame12.headers), [STOMPHeader(name: "a:b", value: "1\n2"), STOMPHeader(name: "url", value: "http://x")])
        XCTAssertEqual(tail(frame12.headers, .v1_2), "a\\cb:1\\n2\nurl:http\\c//x\n\n")
        XCTAssertEqual(tail(frame12.headers, .v1_0), "a:b:1 2\nurl:http://x\n\n")
        let frame11 = try decodeSEND("k:v\r\n", version: .v1_1)
        XCTAssertEqual(frame11["k"], "v\r")
        XCTAssertEqual(tail(frame11.headers, .v1_2), "k:v\\r\n\n")
        XCTAssertEqual(tail(frame11.headers, .v1_1), "k:v\r\n\n")
        // 1.0 has no escapes: a backslash is a byte, which 1.2 must escape.
        let frame10 = try decodeSEND("path:c:\\dir\n", version: .v1_0)
        XCTAssertEqual(frame10["path"], "c:\\dir")
        XCTAssertEqual(tail(frame10.headers, .v1_2), "path:c\\c\\\\dir\n\n")
    }

    func testLinesOfEveryLengthFindTheFirstColonAndEveryByteToEscape() throws {
        // Positions around the 8-byte words the line is read in.
        for nameLength in 1...20 {
            for valueLength in 0...20 {
                let name = String(repeating: "n", count: nameLength)
                let value = String((0..<valueLength).map { $0 == valueLength - 1 ? ":" : "v" })
                let frame = try decodeSEND("\(name):\(value)\n", version: .v1_2)
                XCTAssertEqual(Array(frame.headers), [STOMPHeader(name: name, value: value)], "\(nameLength) \(valueLength)")
                let escaped = valueLength == 0 ? "" : String(repeating: "v", count: valueLength - 1) + "\\c"
                XCTAssertEqual(tail(frame.headers, .v1_2), "\(name):\(escaped)\n\n", "\(nameLength) \(valueLength)")
            }
        }
    }
}

final class WireBytesComparisonTests: XCTestCase {
    func testBeginsWithComparesOnlyThePrefix() {
        let bytes = Array("stampede-to-session".utf8)
        bytes.withUnsafeBufferPointer { bytes in
            XCTAssertTrue(bytes.begins(with: "stampede-to-"))
            XCTAssertTrue(bytes.begins(with: ""))
            XCTAssertFalse(bytes.begins(with: "stampede-to-session-and-more"))
            XCTAssertFalse(bytes.begins(with: "app-"))
        }
    }

    func testHasSameBytesAsComparesWithAnyString() {
        let bytes = Array("/queue/a-long-destination-name".utf8)
        bytes.withUnsafeBufferPointer { bytes in
            XCTAssertTrue(bytes.hasSameBytes(as: "/queue/a-long-destination-name"))
            XCTAssertFalse(bytes.hasSameBytes(as: "/queue/a-long-destination-nam3"))
            XCTAssertFalse(bytes.hasSameBytes(as: "/queue/a"))
        }
    }
}
