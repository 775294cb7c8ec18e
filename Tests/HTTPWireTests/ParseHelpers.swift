import HTTPWire
import XCTest

/// What a parser produced from some input: the requests, then either an error or leftover bytes.
struct ParseOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
    var leftover: [UInt8] = []
}

/// Parses `input` fed whole and fed one byte at a time, asserts both ways agree, returns the outcome.
func parseBothWays(
    _ input: [UInt8],
    limits: HTTPLimits = .init(),
    file: StaticString = #filePath,
    line: UInt = #line
) -> ParseOutcome {
    let whole = parse(chunks: [input], limits: limits)
    let bytewise = parse(chunks: input.map { [$0] }, limits: limits)
    XCTAssertEqual(whole, bytewise, "whole and byte-by-byte parsing disagree", file: file, line: line)
    return whole
}

func parseBothWays(_ text: String, limits: HTTPLimits = .init(), file: StaticString = #filePath, line: UInt = #line) -> ParseOutcome {
    parseBothWays(Array(text.utf8), limits: limits, file: file, line: line)
}

private func parse(chunks: [[UInt8]], limits: HTTPLimits) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    for chunk in chunks {
        parser.feed(chunk)
        do {
            while let request = try parser.next() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    outcome.leftover = parser.takeBufferedBytes()
    return outcome
}

/// Asserts that `input` (both ways) fails with `status`.
func assertRejected(
    _ input: String,
    status: Int,
    limits: HTTPLimits = .init(),
    file: StaticString = #filePath,
    line: UInt = #line
) {
    let outcome = parseBothWays(Array(input.utf8), limits: limits, file: file, line: line)
    XCTAssertEqual(outcome.error?.status, status, "expected \(status) for \(input.debugDescription)", file: file, line: line)
}

/// Asserts that `input` (both ways) yields exactly one request and no error.
@discardableResult
func assertSingleRequest(
    _ input: String,
    limits: HTTPLimits = .init(),
    file: StaticString = #filePath,
    line: UInt = #line
) -> HTTPRequest? {
    let outcome = parseBothWays(Array(input.utf8), limits: limits, file: file, line: line)
    XCTAssertNil(outcome.error, file: file, line: line)
    XCTAssertEqual(outcome.requests.count, 1, file: file, line: line)
    return outcome.requests.first
}
