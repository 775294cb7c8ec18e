import STOMPWire
import XCTest

final class HeaderEscapingTests: XCTestCase {
    private let special = "back\\slash colon: lf\n cr\r end"

    func testEscapesDecodeIn12() {
        assertDecodes(
            bytes("SEND\na\\cb:x\\\\y\\nz\\rw\n\n\0"),
            version: .v1_2,
            to: [frameEvent(.SEND, [("a:b", "x\\y\nz\rw")])]
        )
    }

    /// The decoder hands out the previous `destination` String again when the bytes repeat
    /// (issue 13); an escaped spelling of the same text, and any change, are decoded afresh.
    func testRepeatedDestinationsDecodeTheSameAndEscapesStillCount() {
        let long = "/queue/a-destination-longer-than-fifteen"
        assertDecodes(
            bytes("SEND\ndestination:\(long)\n\n\0SEND\ndestination:\(long)\n\n\0SEND\ndestination:/queue/a\\cb\n\n\0"
                + "SEND\ndestination:/queue/a:b\n\n\0SEND\ndestination:/queue/a\\cb\n\n\0SEND\ndestination:\(long)x\n\n\0"),
            version: .v1_2,
            to: [
                frameEvent(.SEND, [("destination", long)]),
                frameEvent(.SEND, [("destination", long)]),
                frameEvent(.SEND, [("destination", "/queue/a:b")]),
                frameEvent(.SEND, [("destination", "/queue/a:b")]),
                frameEvent(.SEND, [("destination", "/queue/a:b")]),
                frameEvent(.SEND, [("destination", long + "x")]),
            ]
        )
    }

    func testEscapesDecodeIn11IncludingLenientCR() {
        assertDecodes(
            bytes("MESSAGE\na\\cb:x\\\\y\\nz\\rw\n\n\0"),
            version: .v1_1,
            to: [frameEvent(.MESSAGE, [("a:b", "x\\y\nz\rw")])]
        )
    }

    func testNothingIsUnescapedIn10() {
        assertDecodes(
            bytes("SEND\na\\cb:x\\\\y\\t\n\n\0"),
            version: .v1_0,
            to: [frameEvent(.SEND, [("a\\cb", "x\\\\y\\t")])]
        )
    }

    func testHandshakeFramesAreNeverUnescaped() {
        for command in [STOMPCommand.CONNECT, .STOMP, .CONNECTED] {
            assertDecodes(
                bytes("\(command.rawValue)\npasscode:a\\cb\\q\n\n\0"),
                version: .v1_2,
                to: [frameEvent(command, [("passcode", "a\\cb\\q")])]
            )
        }
    }

    func testUndefinedEscapeIsRejected() {
        let error = assertDecodeFails(bytes("SEND\nreceipt:r\nk:a\\tb\n\n\0"), with: .invalidEscape, receipt: "r")
        XCTAssertEqual(error?.message, "invalid escape sequence '\\t' in header")
    }

    func testTrailingLoneBackslashIsRejected() {
        assertDecodeFails(bytes("SEND\nk:abc\\\n\n\0"), with: .invalidEscape)
    }

    func testTrailingBackslashBeforeCRLFIsRejectedIn12() {
        assertDecodeFails(bytes("SEND\nk:abc\\\r\n\n\0"), version: .v1_2, with: .invalidEscape)
    }

    func testInvalidEscapeInHeaderNameIsRejected() {
        assertDecodeFails(bytes("SEND\nk\\x:v\n\n\0"), version: .v1_1, with: .invalidEscape)
    }

    func testEscapedColonInNameDoesNotSplitTheHeader() {
        assertDecodes(bytes("SEND\nx\\cy:z\n\n\0"), to: [frameEvent(.SEND, [("x:y", "z")])])
    }

    func testEveryEscapedCharacterRoundTripsIn12And11() throws {
        for version in [STOMPVersion.v1_1, .v1_2] {
            let frame = STOMPFrame(.SEND, headers: [(special, special), ("plain", "value")], body: bytes("b"))
            let outcome = decode(STOMPEncoder.encode(frame, version: version), version: version)
            XCTAssertNil(outcome.error, "\(version)")
            guard case .frame(let decoded)? = outcome.events.first else { return XCTFail("no frame in \(version)") }
            XCTAssertEqual(decoded.headers.first, STOMPHeader(name: special, value: special), "\(version)")
            XCTAssertEqual(decoded["plain"], "value", "\(version)")
        }
    }

    func testEncoderEscapesAllFourCharactersIn12() {
        let encoded = STOMPEncoder.encode(STOMPFrame(.MESSAGE, headers: [("a:b", "\\\n\r")]), version: .v1_2)
        XCTAssertEqual(encoded, bytes("MESSAGE\na\\cb:\\\\\\n\\r\n\n\0"))
    }

    func testEncoderWritesCRRawIn11WhereItHasNoEscape() {
        let encoded = STOMPEncoder.encode(STOMPFrame(.MESSAGE, headers: [("a:b", "\\\n\r")]), version: .v1_1)
        XCTAssertEqual(encoded, bytes("MESSAGE\na\\cb:\\\\\\n\r\n\n\0"))
    }

    func testEncoderWritesBackslashAndColonRawIn10AndLineBreaksAsSpaces() {
        let frame = STOMPFrame(.MESSAGE, headers: [("k", special)])
        let encoded = STOMPEncoder.encode(frame, version: .v1_0)
        XCTAssertEqual(encoded, bytes("MESSAGE\nk:back\\slash colon: lf  cr  end\n\n\0"))
        XCTAssertEqual(decode(encoded, version: .v1_0).events, [frameEvent(.MESSAGE, [("k", "back\\slash colon: lf  cr  end")])])
    }

    func testEncoderDoesNotEscapeHandshakeFrames() {
        let connected = STOMPFrame(.CONNECTED, headers: [("server", "stampede:1.0\\x")])
        XCTAssertEqual(STOMPEncoder.encode(connected, version: .v1_2), bytes("CONNECTED\nserver:stampede:1.0\\x\n\n\0"))
        let connect = STOMPFrame(.CONNECT, headers: [("login", "a:b")])
        XCTAssertEqual(STOMPEncoder.encode(connect, version: .v1_1), bytes("CONNECT\nlogin:a:b\n\n\0"))
    }

    func testHandshakeHeaderWithColonsRoundTrips() {
        let connect = STOMPFrame(.CONNECT, headers: [("passcode", "p:a\\ss")])
        assertDecodes(STOMPEncoder.encode(connect, version: .v1_2), to: [.frame(connect)])
    }

    func testNonASCIIHeadersRoundTripInEveryVersion() {
        for version in STOMPVersion.allCases {
            let frame = STOMPFrame(.SEND, headers: [("ключ", "値🙂")])
            assertDecodes(STOMPEncoder.encode(frame, version: version), version: version, to: [.frame(frame)])
        }
    }
}
