import STOMPWire
import XCTest

final class FrameTests: XCTestCase {
    func testSubscriptReturnsTheFirstOccurrence() {
        let frame = STOMPFrame(.SEND, headers: [("k", "1"), ("k", "2")])
        XCTAssertEqual(frame["k"], "1")
        XCTAssertNil(frame["K"])
    }

    func testSetHeaderReplacesOnlyTheFirstOccurrence() {
        var frame = STOMPFrame(.SEND, headers: [("k", "1"), ("other", "x"), ("k", "2")])
        frame.setHeader("k", "new")
        XCTAssertEqual(frame.headers, [
            STOMPHeader(name: "k", value: "new"), STOMPHeader(name: "other", value: "x"), STOMPHeader(name: "k", value: "2"),
        ])
    }

    func testSetHeaderAppendsAMissingHeader() {
        var frame = STOMPFrame(.SEND, headers: [("a", "1")])
        frame.setHeader("b", "2")
        XCTAssertEqual(frame.headers.map(\.name), ["a", "b"])
        XCTAssertEqual(frame["b"], "2")
    }

    func testVersionsOrderByRelease() {
        XCTAssertLessThan(STOMPVersion.v1_0, .v1_1)
        XCTAssertLessThan(STOMPVersion.v1_1, .v1_2)
        XCTAssertEqual(STOMPVersion.allCases.max(), .v1_2)
    }
}

final class FrameInitialiserTests: XCTestCase {
    func testEmptyHeaderListLiteralIsUnambiguous() {
        let frame = STOMPFrame(.SEND, headers: [], body: bytes("x"))
        XCTAssertEqual(frame, STOMPFrame(.SEND, body: bytes("x")))
        XCTAssertEqual(
            STOMPFrame(command: .SEND, headers: [STOMPHeader(name: "a", value: "1")]),
            STOMPFrame(.SEND, headers: [("a", "1")])
        )
    }
}
