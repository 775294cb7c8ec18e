import Foundation
import Glibc
import Logging
import XCTest
@testable import LogOutput

final class JSONLogHandlerTests: XCTestCase {
    private let fixedTime = WallTime(seconds: 1_796_280_000, nanoseconds: 123_456_789)

    private func parse(_ line: [UInt8]) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line))
        return try XCTUnwrap(object as? [String: Any])
    }

    func testLineIsOneJSONObjectWithTimeLevelLabelMessageAndMetadata() throws {
        let line = JSONLogHandler.line(
            time: fixedTime, level: .info, label: "stampede", message: "session connected",
            metadata: ["stomp.session": "42", "user": .stringConvertible(7)])
        XCTAssertFalse(line.contains(UInt8(ascii: "\n")))
        let object = try parse(line)
        XCTAssertEqual(object["ts"] as? String, "2026-12-03T06:40:00.123Z")
        XCTAssertEqual(object["level"] as? String, "info")
        XCTAssertEqual(object["label"] as? String, "stampede")
        XCTAssertEqual(object["msg"] as? String, "session connected")
        XCTAssertEqual(object["stomp.session"] as? String, "42")
        XCTAssertEqual(object["user"] as? String, "7")
    }

    func testQuotesBackslashesNewlinesAndControlCharactersAreEscaped() throws {
        let nasty = "a\"b\\c\nd\re\tf\u{01}g é"
        let line = JSONLogHandler.line(time: fixedTime, level: .error, label: "x", message: nasty, metadata: ["k": .string(nasty)])
        XCTAssertFalse(line.contains(UInt8(ascii: "\n")))
        let object = try parse(line)
        XCTAssertEqual(object["msg"] as? String, nasty)
        XCTAssertEqual(object["k"] as? String, nasty)
    }

    func testNestedMetadataStaysStructuredAndReservedKeysArePrefixed() throws {
        let line = JSONLogHandler.line(
            time: fixedTime, level: .debug, label: "x", message: "m",
            metadata: ["msg": "shadow", "list": ["a", "b"], "map": ["inner": "v"]])
        let object = try parse(line)
        XCTAssertEqual(object["msg"] as? String, "m")
        XCTAssertEqual(object["meta.msg"] as? String, "shadow")
        XCTAssertEqual(object["list"] as? [String], ["a", "b"])
        XCTAssertEqual((object["map"] as? [String: String])?["inner"], "v")
    }

    func testHandlerWritesOneLinePerEventToItsFileDescriptorAndHonoursTheLevel() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        let time = fixedTime
        var handler = JSONLogHandler(label: "test", fileDescriptor: fds[1], clock: { time })
        handler.logLevel = .info
        handler[metadataKey: "node"] = "n1"
        let logger = Logger(label: "test", factory: { _ in handler })
        logger.debug("dropped")
        logger.info("kept", metadata: ["peer": "127.0.0.1:5"])
        logger.warning("second")
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        let lines = output.split(separator: UInt8(ascii: "\n")).map(Array.init)
        XCTAssertEqual(lines.count, 2)
        let first = try parse(lines[0]), second = try parse(lines[1])
        XCTAssertEqual(first["msg"] as? String, "kept")
        XCTAssertEqual(first["peer"] as? String, "127.0.0.1:5")
        XCTAssertEqual(first["node"] as? String, "n1")
        XCTAssertEqual(second["level"] as? String, "warning")
    }
}
