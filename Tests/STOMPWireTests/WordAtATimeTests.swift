import STOMPWire
import XCTest

/// The codec searches lines and bodies 8 bytes at a time and finds commands and common header
/// names by their bytes. These tests put every byte that matters at every offset of texts up to
/// five words long, next to bytes that differ from it only in the lowest or the highest bit.
final class WordAtATimeTests: XCTestCase {
    /// Valid UTF-8 whose bytes neighbour LF (0x0A), ':' (0x3A), '\' (0x5C) and NUL: 0x09 0x0B,
    /// 0x39 0x3B, 0x5B 0x5D, 0x01, and the high-bit twins 0x8A ("Ê" = C3 8A), 0xBA ("º" = C2 BA),
    /// 0xDC ("Ü" = C3 9C is 0x5C | 0x80), 0x80 ("À" = C3 80).
    private let neighbours = Array("a\t\u{0B}9;[]\u{01}ÊºÜÀz")

    /// `count` scalars cycling through `neighbours`, starting at `offset`.
    private func text(count: Int, offset: Int = 0) -> String {
        String((0..<count).map { neighbours[($0 + offset) % neighbours.count] })
    }

    func testHeaderValuesOfEveryLengthUpTo40Decode() {
        for length in 0...40 {
            let value = text(count: length, offset: length)
            assertDecodes(
                bytes("SEND\nkey:\(value)\nsecond:\(value)x\n\n\0"),
                to: [frameEvent(.SEND, [("key", value), ("second", value + "x")])]
            )
        }
    }

    func testHeaderNamesOfEveryLengthUpTo40Decode() {
        for length in 1...40 {
            let name = text(count: length, offset: length)
            assertDecodes(bytes("MESSAGE\n\(name):v\n\n\0"), to: [frameEvent(.MESSAGE, [(name, "v")])])
        }
    }

    func testBodiesOfEveryLengthUpTo40EndAtTheFirstNUL() {
        for length in 0...40 {
            let body = text(count: length, offset: 3)
            assertDecodes(bytes("SEND\n\n\(body)\0"), to: [frameEvent(.SEND, body: body)])
        }
    }

    func testEscapeAtEveryOffsetDecodesIn12() {
        let escapes: [(wire: String, decoded: String)] = [("\\c", ":"), ("\\n", "\n"), ("\\r", "\r"), ("\\\\", "\\")]
        for length in 0...20 {
            for offset in 0...length {
                for escape in escapes {
                    let before = String(repeating: "a", count: offset), after = String(repeating: "b", count: length - offset)
                    assertDecodes(
                        bytes("SEND\nn\(before)\(escape.wire)\(after):\(before)\(escape.wire)\(after)\n\n\0"),
                        to: [frameEvent(.SEND, [("n\(before)\(escape.decoded)\(after)", "\(before)\(escape.decoded)\(after)")])]
                    )
                }
            }
        }
    }

    func testColonAtEveryOffsetSplitsAtTheFirstColon() {
        for nameLength in 1...20 {
            let name = String(repeating: "n", count: nameLength)
            assertDecodes(bytes("SEND\n\(name):a:b\n\n\0"), to: [frameEvent(.SEND, [(name, "a:b")])])
        }
    }

    func testSpecialByteAtEveryOffsetIsEscapedAsEachVersionRequires() {
        for length in 0...24 {
            for offset in 0...length {
                let before = String(repeating: "a", count: offset), after = String(repeating: "b", count: length - offset)
                for (special, in12, in11, in10) in [
                    (":", "\\c", "\\c", ":"), ("\\", "\\\\", "\\\\", "\\"), ("\n", "\\n", "\\n", " "), ("\r", "\\r", "\r", " "),
                ] {
                    let frame = STOMPFrame(.SEND, headers: [("k", before + special + after)])
                    for (version, written) in [(STOMPVersion.v1_2, in12), (.v1_1, in11), (.v1_0, in10)] {
                        XCTAssertEqual(
                            STOMPEncoder.encode(frame, version: version), bytes("SEND\nk:\(before)\(written)\(after)\n\n\0"),
                            "\(version) length \(length) offset \(offset)"
                        )
                    }
                }
            }
        }
    }

    func testNeighbouringBytesAreWrittenUnescapedInEveryVersion() {
        for length in 0...40 {
            let value = text(count: length, offset: length)
            for version in STOMPVersion.allCases {
                let frame = STOMPFrame(.SEND, headers: [(value + "n", value)])
                XCTAssertEqual(STOMPEncoder.encode(frame, version: version), bytes("SEND\n\(value)n:\(value)\n\n\0"), "\(version)")
            }
        }
    }

    // MARK: - Names found by their bytes

    /// The header names of STOMP 1.0–1.2 (the decoder may share one String for each).
    private let standardNames = [
        "accept-version", "ack", "content-length", "content-type", "destination", "heart-beat", "host", "id",
        "login", "message", "message-id", "passcode", "receipt", "receipt-id", "redelivered", "server",
        "session", "subscription", "transaction", "version",
    ]

    /// `name` with the byte at `index` replaced by a different letter.
    private func altered(_ name: String, at index: Int) -> String {
        var scalars = Array(name.unicodeScalars)
        scalars[index] = scalars[index] == "x" ? "y" : "x"
        return String(String.UnicodeScalarView(scalars))
    }

    func testStandardHeaderNamesAndNearMissesDecodeToTheirExactText() {
        for name in standardNames {
            var names = [name, String(name.dropLast()), name + "x", name.uppercased()]
            names += (0..<name.utf8.count).map { altered(name, at: $0) }
            for candidate in names where !candidate.isEmpty {
                // "0" is a valid value for every name, content-length included.
                assertDecodes(bytes("SEND\n\(candidate):0\n\n\0"), to: [frameEvent(.SEND, [(candidate, "0")])])
            }
        }
    }

    func testNearMissesOfEveryCommandAreUnknown() {
        let commands = Set(STOMPCommand.allCases.map(\.rawValue))
        for command in STOMPCommand.allCases {
            let name = command.rawValue
            var misses = [String(name.dropLast()), name + "S", String(name.dropFirst()), "X" + name]
            misses += (0..<name.utf8.count).map { altered(name, at: $0) }
            for miss in misses where !commands.contains(miss) && !miss.isEmpty {
                let error = assertDecodeFails(bytes("\(miss)\n\n\0"), with: .unknownCommand)
                XCTAssertEqual(error?.message, "unknown command '\(miss)'")
            }
        }
    }
}
