import WebSocketWire
import XCTest

final class UTF8ValidatorTests: XCTestCase {
    private let validSamples: [[UInt8]] = [
        [],
        Array("plain ASCII longer than eight bytes".utf8),
        [0xC2, 0x80],                  // U+0080, smallest two-byte
        [0xC3, 0xA9],                  // é
        [0xDF, 0xBF],                  // U+07FF
        [0xE0, 0xA0, 0x80],            // U+0800, smallest three-byte
        [0xE2, 0x82, 0xAC],            // €
        [0xED, 0x9F, 0xBF],            // U+D7FF, just below the surrogates
        [0xEE, 0x80, 0x80],            // U+E000, just above the surrogates
        [0xEF, 0xBF, 0xBF],            // U+FFFF
        [0xF0, 0x90, 0x80, 0x80],      // U+10000, smallest four-byte
        [0xF0, 0x9D, 0x84, 0x9E],      // 𝄞
        [0xF4, 0x8F, 0xBF, 0xBF],      // U+10FFFF, the largest code point
        Array("κόσμε – 日本語 🎉 mixed with ASCII".utf8),
    ]

    private let invalidSamples: [[UInt8]] = [
        [0xC0, 0x80],                  // overlong NUL
        [0xC1, 0xBF],                  // overlong two-byte
        [0xE0, 0x80, 0x80],            // overlong three-byte
        [0xE0, 0x9F, 0xBF],            // overlong U+07FF
        [0xF0, 0x80, 0x80, 0x80],      // overlong four-byte
        [0xF0, 0x8F, 0xBF, 0xBF],      // overlong U+FFFF
        [0xED, 0xA0, 0x80],            // surrogate U+D800
        [0xED, 0xBF, 0xBF],            // surrogate U+DFFF
        [0xF4, 0x90, 0x80, 0x80],      // U+110000
        [0xF5, 0x80, 0x80, 0x80],      // lead byte beyond U+10FFFF
        [0xFE], [0xFF],
        [0x80],                        // lone continuation
        [0x41, 0xBF, 0x41],
        [0xC3, 0x41],                  // lead byte followed by ASCII
        [0xE2, 0x82, 0x41],
        [0xE2, 0x82],                  // truncated at the end
        [0xF0, 0x9D, 0x84],
        Array("ASCII then a bad byte".utf8) + [0xFF],
    ]

    func testValidSequencesAreAccepted() {
        for sample in validSamples {
            XCTAssertTrue(UTF8Validator.isValid(sample), "\(sample)")
        }
    }

    func testInvalidSequencesAreRejected() {
        for sample in invalidSamples {
            XCTAssertFalse(UTF8Validator.isValid(sample), "\(sample)")
        }
    }

    func testEverySplitPointGivesTheSameAnswer() {
        for sample in validSamples + invalidSamples {
            let expected = UTF8Validator.isValid(sample)
            for split in 0...sample.count {
                var validator = UTF8Validator()
                let first = Array(sample[..<split]).withUnsafeBytes { validator.feed($0) }
                let second = Array(sample[split...]).withUnsafeBytes { validator.feed($0) }
                XCTAssertEqual(first && second && validator.isAtBoundary, expected, "\(sample) split at \(split)")
            }
        }
    }

    func testByteByByteFeedingTracksBoundaries() {
        var validator = UTF8Validator()
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        for (index, byte) in euro.enumerated() {
            XCTAssertTrue(validator.feed([byte]))
            XCTAssertEqual(validator.isAtBoundary, index == 2)
        }
    }

    func testSurrogateSplitAcrossFeedsIsRejected() {
        var validator = UTF8Validator()
        XCTAssertTrue(validator.feed([0xED]))
        XCTAssertFalse(validator.feed([0xA0, 0x80]))
    }

    func testRejectionIsSticky() {
        var validator = UTF8Validator()
        XCTAssertFalse(validator.feed([0xC0, 0x80]))
        XCTAssertFalse(validator.feed(Array("fine".utf8)))
        XCTAssertFalse(validator.isAtBoundary)
    }

    func testInvalidByteAfterTheASCIIFastPathIsFound() {
        for position in 0..<20 {
            var bytes = [UInt8](repeating: 0x61, count: 20)
            bytes[position] = 0x80
            XCTAssertFalse(UTF8Validator.isValid(bytes), "bad byte at \(position)")
        }
    }

    /// The ASCII fast path reads 32, then 8 bytes at a time, then the buffer's last 8 bytes
    /// again for a short tail: a character or a bad byte anywhere in up to 80 bytes, fed whole or
    /// in two parts, gets the standard library's answer.
    func testCharactersAndBadBytesAroundEveryWordBoundaryAreFound() {
        let inserts: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xC3], [0xED, 0xA0, 0x80], [0xFF]]
        var mismatches: [String] = []
        for length in 0...80 {
            for insert in inserts {
                for position in 0...length {
                    var bytes = [UInt8](repeating: 0x61, count: length)
                    bytes.insert(contentsOf: insert, at: position)
                    let expected = String(validating: bytes, as: UTF8.self) != nil
                    for split in [0, bytes.count / 3, position] {
                        var validator = UTF8Validator()
                        let accepted = validator.feed(Array(bytes[..<split])) && validator.feed(Array(bytes[split...])) && validator.isAtBoundary
                        if accepted != expected { mismatches.append("\(insert) at \(position) of \(length), split \(split)") }
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, [])
    }

    /// Cross-checks against the standard library's own validation for every sequence of up to
    /// three bytes whose first byte is not ASCII, plus four-byte sequences around every boundary.
    func testAgreesWithStandardLibraryOnShortSequences() {
        var mismatches = 0
        func check(_ bytes: [UInt8]) {
            if UTF8Validator.isValid(bytes) != (String(validating: bytes, as: UTF8.self) != nil) { mismatches += 1 }
        }
        for first in 0...255 {
            check([UInt8(first)])
            for second in 0...255 {
                check([UInt8(first), UInt8(second)])
            }
        }
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for first in 0xC0...0xFF {
            for second in 0...255 {
                for third in edges {
                    check([UInt8(first), UInt8(second), third])
                    for fourth in edges where first >= 0xF0 {
                        check([UInt8(first), UInt8(second), third, fourth])
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }
}
