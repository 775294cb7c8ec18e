import STOMPWire
import XCTest

final class VersionNegotiationTests: XCTestCase {
    private let all = STOMPVersion.allCases

    func testMissingAcceptVersionMeans10() {
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: nil, supported: all), .v1_0)
    }

    func testMissingAcceptVersionFailsWhen10IsNotSupported() {
        XCTAssertNil(STOMPVersion.negotiate(acceptVersion: nil, supported: [.v1_1, .v1_2]))
    }

    func testHighestCommonVersionIsChosenWhateverTheOrder() {
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: "1.0,1.1,1.2", supported: all), .v1_2)
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: "1.2,1.0", supported: all), .v1_2)
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: "1.1", supported: all), .v1_1)
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: "1.0,1.1,1.2", supported: [.v1_0, .v1_1]), .v1_1)
    }

    func testSpacesAndUnknownVersionsAreIgnored() {
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: " 1.1 , 1.0", supported: all), .v1_1)
        XCTAssertEqual(STOMPVersion.negotiate(acceptVersion: "2.0,1.1", supported: all), .v1_1)
    }

    func testNoCommonVersionIsNil() {
        XCTAssertNil(STOMPVersion.negotiate(acceptVersion: "2.0", supported: all))
        XCTAssertNil(STOMPVersion.negotiate(acceptVersion: "1.2", supported: [.v1_0, .v1_1]))
        XCTAssertNil(STOMPVersion.negotiate(acceptVersion: "", supported: all))
        XCTAssertNil(STOMPVersion.negotiate(acceptVersion: "1.1", supported: []))
    }
}

final class HeartBeatNegotiationTests: XCTestCase {
    func testHeaderParses() {
        XCTAssertEqual(HeartBeat(header: "0,0"), HeartBeat(canSend: 0, wantsReceive: 0))
        XCTAssertEqual(HeartBeat(header: "10000,5000"), HeartBeat(canSend: 10_000, wantsReceive: 5_000))
        XCTAssertEqual(HeartBeat(header: " 10, 20 "), HeartBeat(canSend: 10, wantsReceive: 20))
        XCTAssertEqual(HeartBeat(header: "4294967295,1"), HeartBeat(canSend: UInt32.max, wantsReceive: 1))
    }

    func testMalformedHeaderIsNil() {
        for text in ["", "1", "1,2,3", ",5", "5,", "-1,0", "+1,0", "a,b", "4294967296,0", "1;2", "1 2,3"] {
            XCTAssertNil(HeartBeat(header: text), text)
        }
    }

    func testHeaderValueRoundTrips() {
        let beat = HeartBeat(canSend: 4_000, wantsReceive: 0)
        XCTAssertEqual(beat.headerValue, "4000,0")
        XCTAssertEqual(HeartBeat(header: beat.headerValue), beat)
    }

    func testBothDirectionsUseTheLargerInterval() {
        let result = HeartBeat.negotiate(
            client: HeartBeat(canSend: 5_000, wantsReceive: 20_000),
            server: HeartBeat(canSend: 10_000, wantsReceive: 10_000)
        )
        XCTAssertEqual(result.outgoing, 20_000)
        XCTAssertEqual(result.incoming, 10_000)
    }

    func testClientThatCannotSendDisablesIncomingOnly() {
        let result = HeartBeat.negotiate(
            client: HeartBeat(canSend: 0, wantsReceive: 1_000),
            server: HeartBeat(canSend: 500, wantsReceive: 500)
        )
        XCTAssertEqual(result.outgoing, 1_000)
        XCTAssertEqual(result.incoming, 0)
    }

    func testClientThatWantsNothingDisablesOutgoingOnly() {
        let result = HeartBeat.negotiate(
            client: HeartBeat(canSend: 3_000, wantsReceive: 0),
            server: HeartBeat(canSend: 500, wantsReceive: 1_000)
        )
        XCTAssertEqual(result.outgoing, 0)
        XCTAssertEqual(result.incoming, 3_000)
    }

    func testServerZeroesDisableTheirDirection() {
        let client = HeartBeat(canSend: 1_000, wantsReceive: 1_000)
        let noSend = HeartBeat.negotiate(client: client, server: HeartBeat(canSend: 0, wantsReceive: 2_000))
        XCTAssertEqual(noSend.outgoing, 0)
        XCTAssertEqual(noSend.incoming, 2_000)
        let noReceive = HeartBeat.negotiate(client: client, server: HeartBeat(canSend: 2_000, wantsReceive: 0))
        XCTAssertEqual(noReceive.outgoing, 2_000)
        XCTAssertEqual(noReceive.incoming, 0)
    }

    func testAllZeroesDisableEverything() {
        let result = HeartBeat.negotiate(client: .disabled, server: .disabled)
        XCTAssertEqual(result.outgoing, 0)
        XCTAssertEqual(result.incoming, 0)
    }
}
