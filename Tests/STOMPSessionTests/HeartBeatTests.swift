import STOMPSession
import STOMPWire
import XCTest

final class HeartBeatTests: XCTestCase {
    private func connected(clientHeartBeat: String) -> SessionHarness {
        var h = SessionHarness(configuration: SessionConfiguration(heartBeat: HeartBeat(canSend: 1_000, wantsReceive: 1_000)))
        h.connect([("accept-version", "1.2"), ("heart-beat", clientHeartBeat)])
        return h
    }

    func testNoHeartBeatsWhenTheClientWantsNone() {
        var h = connected(clientHeartBeat: "0,0")
        XCTAssertEqual(h.advance(60_000), [])
    }

    func testServerSendsHeartBeatWhenQuietForMostOfTheInterval() {
        var h = connected(clientHeartBeat: "0,2000")  // client wants one every max(1000, 2000) ms
        XCTAssertEqual(h.advance(1_500), [])
        XCTAssertEqual(h.advance(100), [.sendHeartBeat])
    }

    func testOutgoingTrafficPostponesTheHeartBeat() {
        var h = connected(clientHeartBeat: "0,2000")
        h.now += 1_500
        h.session.noteSent(now: h.now)
        XCTAssertEqual(h.advance(1_500), [])
        XCTAssertEqual(h.advance(100), [.sendHeartBeat])
    }

    func testSilentClientIsDisconnectedAfterTwiceItsInterval() {
        var h = connected(clientHeartBeat: "3000,0")  // client promises one every max(3000, 1000) ms
        XCTAssertEqual(h.advance(6_000), [])
        assertError(h.advance(1), contains: "heart-beat timeout")
    }

    func testAnyReceivedByteKeepsTheClientAlive() {
        var h = connected(clientHeartBeat: "3000,0")
        for _ in 0..<10 {
            h.now += 5_000
            h.session.noteReceived(now: h.now)
            XCTAssertEqual(h.session.tick(now: h.now), [])
        }
    }

    func testToleranceFactorIsConfigurable() {
        var h = SessionHarness(configuration: SessionConfiguration(heartBeat: HeartBeat(canSend: 0, wantsReceive: 1_000), heartBeatToleranceFactor: 3))
        h.connect([("accept-version", "1.2"), ("heart-beat", "1000,0")])
        XCTAssertEqual(h.advance(3_000), [])
        assertError(h.advance(1), contains: "heart-beat timeout")
    }

    func testNoChecksBeforeConnect() {
        var h = SessionHarness()
        XCTAssertEqual(h.advance(1_000_000), [])
    }
}
