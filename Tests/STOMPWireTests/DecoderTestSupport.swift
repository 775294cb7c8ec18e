import STOMPWire
import XCTest

/// How a test hands bytes to the decoder.
enum Feeding: CustomStringConvertible {
    case whole
    case byteByByte
    case chunks(Int)
    /// Two pieces, split before the given index.
    case splitAt(Int)

    var description: String {
        switch self {
        case .whole: "whole"
        case .byteByByte: "byte by byte"
        case .chunks(let size): "chunks of \(size)"
        case .splitAt(let index): "split at \(index)"
        }
    }

    func pieces(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole:
            return [bytes[...]]
        case .byteByByte:
            return bytes.indices.map { bytes[$0...$0] }
        case .chunks(let size):
            return stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
        case .splitAt(let index):
            return [bytes[..<index], bytes[index...]]
        }
    }
}

/// What a decoder produced from a byte stream.
struct DecodeOutcome {
    var events: [STOMPDecoder.Event] = []
    var error: STOMPWireError?
}

/// Feeds `bytes` as `feeding` says, draining events after every piece; stops at the first error.
func decode(
    _ bytes: [UInt8], version: STOMPVersion = .v1_2, limits: STOMPLimits = .init(), feeding: Feeding = .whole
) -> DecodeOutcome {
    var decoder = STOMPDecoder(limits: limits)
    decoder.version = version
    var outcome = DecodeOutcome()
    for piece in feeding.pieces(of: bytes) {
        decoder.feed(Array(piece))
        do {
            while let event = try decoder.next() {
                outcome.events.append(event)
            }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

/// Asserts `bytes` decode to exactly `expected`, fed whole and one byte at a time.
func assertDecodes(
    _ bytes: [UInt8], version: STOMPVersion = .v1_2, limits: STOMPLimits = .init(),
    to expected: [STOMPDecoder.Event], file: StaticString = #filePath, line: UInt = #line
) {
    for feeding in [Feeding.whole, .byteByByte] {
        let outcome = decode(bytes, version: version, limits: limits, feeding: feeding)
        XCTAssertNil(outcome.error, "\(feeding)", file: file, line: line)
        XCTAssertEqual(outcome.events, expected, "\(feeding)", file: file, line: line)
    }
}

/// Asserts `bytes` fail with `kind` (and `receipt`), fed whole and one byte at a time,
/// after producing exactly `eventsBefore`. Returns the error of the whole-buffer run.
@discardableResult
func assertDecodeFails(
    _ bytes: [UInt8], version: STOMPVersion = .v1_2, limits: STOMPLimits = .init(),
    with kind: STOMPWireError.Kind, receipt: String? = nil, eventsBefore: [STOMPDecoder.Event] = [],
    file: StaticString = #filePath, line: UInt = #line
) -> STOMPWireError? {
    var first: STOMPWireError?
    for feeding in [Feeding.whole, .byteByByte] {
        let outcome = decode(bytes, version: version, limits: limits, feeding: feeding)
        XCTAssertEqual(outcome.error?.kind, kind, "\(feeding)", file: file, line: line)
        XCTAssertEqual(outcome.error?.receipt, receipt, "\(feeding)", file: file, line: line)
        XCTAssertFalse(outcome.error?.message.isEmpty ?? true, "\(feeding): message empty", file: file, line: line)
        XCTAssertEqual(outcome.events, eventsBefore, "\(feeding)", file: file, line: line)
        if first == nil { first = outcome.error }
    }
    return first
}

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// A `.frame` event, for brevity in expectations.
func frameEvent(_ command: STOMPCommand, _ headers: [(String, String)] = [], body: String = "") -> STOMPDecoder.Event {
    .frame(STOMPFrame(command, headers: headers, body: bytes(body)))
}
