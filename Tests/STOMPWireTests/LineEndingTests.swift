import STOMPWire
import XCTest

final class LineEndingTests: XCTestCase {
    func testCRLFLinesAreAcceptedIn12() {
        assertDecodes(
            bytes("SEND\r\ndestination:/q\r\nfoo:bar\r\n\r\nbody\0"),
            version: .v1_2,
            to: [frameEvent(.SEND, [("destination", "/q"), ("foo", "bar")], body: "body")]
        )
    }

    func testMixedLFAndCRLFLinesAreAcceptedIn12() {
        assertDecodes(
            bytes("SEND\ndestination:/q\r\nfoo:bar\n\r\n\0"),
            version: .v1_2,
            to: [frameEvent(.SEND, [("destination", "/q"), ("foo", "bar")])]
        )
    }

    func testTrailingCRStaysInHeaderValueIn11And10() {
        for version in [STOMPVersion.v1_0, .v1_1] {
            assertDecodes(
                bytes("SEND\ndestination:/q\r\n\n\0"),
                version: version,
                to: [frameEvent(.SEND, [("destination", "/q\r")])]
            )
        }
    }

    func testCRLFCommandLineIsUnknownCommandIn11() {
        assertDecodeFails(bytes("SEND\r\n\n\0"), version: .v1_1, with: .unknownCommand)
    }

    func testCRLFBlankLineIsAHeaderWithoutColonIn10() {
        assertDecodeFails(bytes("SEND\ndestination:/q\n\r\n\0"), version: .v1_0, with: .malformedHeader)
    }

    func testConnectFrameAcceptsCRLFWhateverTheVersion() {
        for version in STOMPVersion.allCases {
            assertDecodes(
                bytes("CONNECT\r\naccept-version:1.0,1.1\r\nhost:h\r\n\r\n\0"),
                version: version,
                to: [frameEvent(.CONNECT, [("accept-version", "1.0,1.1"), ("host", "h")])]
            )
        }
    }

    func testStompFrameAcceptsCRLFIn10() {
        assertDecodes(
            bytes("STOMP\r\nhost:h\r\n\r\n\0"),
            version: .v1_0,
            to: [frameEvent(.STOMP, [("host", "h")])]
        )
    }

    func testCRLFHeartBeatIsAcceptedIn10() {
        assertDecodes(bytes("\r\n\n"), version: .v1_0, to: [.heartbeat, .heartbeat])
    }

    func testVersionChangeAfterConnectAppliesToTheNextFrame() throws {
        // The session negotiates 1.0 after CONNECT; the already-buffered SEND must be read as 1.0.
        var decoder = STOMPDecoder()
        decoder.feed(bytes("CONNECT\nhost:h\n\n\0SEND\nk:a\\cb\r\n\n\0"))
        XCTAssertEqual(try decoder.next(), frameEvent(.CONNECT, [("host", "h")]))
        decoder.version = .v1_0
        XCTAssertEqual(try decoder.next(), frameEvent(.SEND, [("k", "a\\cb\r")]))
    }
}
