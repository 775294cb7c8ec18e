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
