import Foundation
import STOMPWire
import XCTest

/// `limits.new-connections-per-second`, `limits.max-connections-per-user`, `limits.frames-per-second`:
/// each trips, is counted, and recovers; other clients carry on.
final class AbuseLimitTests: XCTestCase {
    func metric(_ node: NodeProcess, _ limit: String) throws -> String {
        let metrics = try httpGet(port: node.adminPort, path: "/metrics").body
        return metrics.split(separator: "\n").first { $0.hasPrefix("stampede_rate_limited_total{limit=\"\(limit)\"}") }.map(String.init) ?? ""
    }

    func testNewConnectionsPerSecondAnswer503WithRetryAfterAndRecover() throws {
        let node = try NodeProcess(arguments: ["--set", "limits.new-connections-per-second=2"])
        defer { _ = node.stop() }
        // NodeProcess's readiness probe may have used some of the burst of 4.
        var statuses: [Int] = []
        var open: [TestClient] = []
        for _ in 0..<8 {
            do {
                open.append(try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: nil)))
                statuses.append(101)
            } catch let error as TestClientError {
                XCTAssertTrue(error.description.hasSuffix("503"), error.description)
                statuses.append(503)
            }
        }
        XCTAssertTrue(statuses.contains(503), "\(statuses)")
        XCTAssertFalse(try metric(node, "new_connections").hasSuffix(" 0"))
        let survivor = try XCTUnwrap(open.first)
        XCTAssertEqual(try survivor.connect([("accept-version", "1.2")]).command, .CONNECTED, "accepted clients are unaffected")
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertNoThrow(try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: nil)))
    }

    func testConnectionsPerUserAreLimitedAndFreedOnDisconnect() throws {
        let node = try NodeProcess(arguments: ["--set", "limits.max-connections-per-user=2"])
        defer { _ = node.stop() }
        func login() throws -> (TestClient, STOMPFrame) {
            let client = try TestClient(port: node.stompPort)
            try client.send(.CONNECT, [("accept-version", "1.2"), ("login", "alice")])
            return (client, try client.receive())
        }
        var (first, a): (TestClient?, STOMPFrame) = try login()
        let (second, b) = try login()
        XCTAssertEqual([a.command, b.command], [.CONNECTED, .CONNECTED])
        let (refused, third) = try login()
        defer { withExtendedLifetime((second, refused)) {} }
        XCTAssertEqual(third["message"], "too many connections for this user (limit 2)")
        try first?.send(.DISCONNECT, [("receipt", "bye")])
        _ = try first?.receive()
        first = nil  // closes the socket: the node frees the slot when the connection is gone
        let deadline = Date().addingTimeInterval(3)
        var again = try login().1
        while again.command != .CONNECTED && Date() < deadline {
            usleep(50_000)
            again = try login().1
        }
        XCTAssertEqual(again.command, .CONNECTED)
        XCTAssertFalse(try metric(node, "connections_per_user").hasSuffix(" 0"))
    }

    func testInboundFrameRatePausesReadingThenClosesASustainedFlood() throws {
        let node = try NodeProcess(arguments: ["--set", "limits.frames-per-second=10", "--set", "limits.rate-excess-ms=3000", "--set", "runtime.tick-ms=100"])
        defer { _ = node.stop() }
        let bystander = try TestClient(port: node.stompPort)
        _ = try bystander.connect([("accept-version", "1.2")])

        // 30 frames: 10 over the burst of 20; reading pauses about a second, then goes on.
        let paced = try TestClient(port: node.stompPort)
        _ = try paced.connect([("accept-version", "1.2")])
        var bytes: [UInt8] = []
        for i in 0..<29 { bytes += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", "/topic/rate")], body: Array("\(i)".utf8)), version: .v1_2) }
        bytes += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", "/topic/rate"), ("receipt", "last")]), version: .v1_2)
        try paced.sendRaw(bytes)
        XCTAssertNoThrow(try paced.awaitReceipt("last", timeout: 5))
        XCTAssertFalse(try metric(node, "inbound_rate").hasSuffix(" 0"))

        // A flood that stays over the rate is ended with an ERROR.
        let flood = try TestClient(port: node.stompPort)
        _ = try flood.connect([("accept-version", "1.2")])
        var many: [UInt8] = []
        for _ in 0..<300 { many += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", "/topic/rate")]), version: .v1_2) }
        try flood.sendRaw(many)
        let error = try flood.expect(.ERROR, timeout: 8)
        XCTAssertEqual(error["message"], "too many frames or bytes per second")
        XCTAssertFalse(try metric(node, "inbound_rate_close").hasSuffix(" 0"))

        try bystander.publish("/topic/other", "still here")
    }

    /// A connection paused by its frame rate is read again when its debt is paid (10 frames over
    /// at 100/s: 0.1 s), not at the next tick (here 5 s apart): one node-wide timer does it.
    func testReadingResumesWhenTheRateDebtIsPaidNotAtTheNextTick() throws {
        let node = try NodeProcess(arguments: ["--set", "limits.frames-per-second=100", "--set", "limits.rate-excess-ms=10000",
                                               "--set", "runtime.tick-ms=5000"])
        defer { _ = node.stop() }
        let client = try TestClient(port: node.stompPort)
        _ = try client.connect([("accept-version", "1.2")])
        var bytes: [UInt8] = []
        for i in 0..<209 { bytes += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", "/topic/rate")], body: Array("\(i)".utf8)), version: .v1_2) }
        try client.sendRaw(bytes)  // the burst of 200 and 9 more (one read): reading pauses
        usleep(20_000)
        let started = Date()
        try client.send(.SEND, [("destination", "/topic/rate"), ("receipt", "after")])
        XCTAssertNoThrow(try client.awaitReceipt("after", timeout: 5))
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "resumed when the debt was paid, not at the 5 s tick")
        XCTAssertFalse(try metric(node, "inbound_rate").hasSuffix(" 0"), "the connection was paused")
    }
}
