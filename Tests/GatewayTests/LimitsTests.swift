import Foundation
import STOMPWire
import XCTest

final class ConnectionLimitTests: GatewayTestCase {
    override class var nodeArguments: [String] { ["--max-connections", "2"] }

    func testConnectionsOverTheLimitAreRefusedWith503OrError() throws {
        let node = try self.node
        // NodeProcess's readiness probes have closed; give the node a moment to notice.
        usleep(200_000)
        let a = try connectedClient(.tcp)
        let b = try connectedClient(.webSocket)
        let overTCP = try TestClient(port: node.stompPort)
        let refusal = try overTCP.expect(.ERROR)
        XCTAssertTrue(refusal["message"]?.contains("too many connections") ?? false)
        let overWS = try TestClient(port: node.webSocketPort)
        try overWS.sendRaw(Array("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        XCTAssertEqual(try overWS.readHTTPResponse().0, 503)
        _ = (a, b)
    }
}

final class HeartBeatIntegrationTests: GatewayTestCase {
    override class var nodeArguments: [String] { ["--set", "stomp.heart-beat=200,200", "--set", "runtime.tick-ms=50"] }

    func testServerSendsHeartBeatsWhenAsked() throws {
        let node = try self.node
        let c = try TestClient(port: node.stompPort)
        try c.connect([("accept-version", "1.2"), ("host", "/"), ("heart-beat", "0,200")])
        let start = Date()
        while c.heartBeatsReceived < 3 && Date().timeIntervalSince(start) < 5 { _ = c.receivesNothing(within: 0.1) }
        XCTAssertGreaterThanOrEqual(c.heartBeatsReceived, 3)
    }

    func testSilentClientIsDisconnected() throws {
        let node = try self.node
        let c = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: [], origin: nil))
        try c.connect([("accept-version", "1.2"), ("host", "/"), ("heart-beat", "200,0")])
        let error = try c.expect(.ERROR, timeout: 5)
        XCTAssertTrue(error["message"]?.contains("heart-beat") ?? false)
        try c.waitForClose()
    }

    func testClientSendingHeartBeatsStaysConnected() throws {
        let node = try self.node
        let c = try TestClient(port: node.stompPort)
        try c.connect([("accept-version", "1.2"), ("host", "/"), ("heart-beat", "200,0")])
        for _ in 0..<10 {
            try c.sendRaw([0x0A])
            XCTAssertTrue(c.receivesNothing(within: 0.1))
        }
    }
}

final class TimeoutAndSlowConsumerTests: GatewayTestCase {
    override class var nodeArguments: [String] {
        ["--set", "limits.connect-timeout-ms=300", "--set", "runtime.tick-ms=50", "--set", "limits.max-output-buffer-bytes=65536"]
    }

    func testClientThatNeverSendsConnectIsClosed() throws {
        let c = try TestClient(port: try node.stompPort)
        let error = try c.expect(.ERROR, timeout: 5)
        XCTAssertTrue(error["message"]?.contains("CONNECT") ?? false)
        try c.waitForClose()
    }

    func testWebSocketHandshakeThatNeverCompletesIsClosed() throws {
        let c = try TestClient(port: try node.webSocketPort)
        try c.sendRaw(Array("GET /ws HTTP/1.1\r\n".utf8))
        XCTAssertNil(try c.waitForClose(timeout: 5))
    }

    func testSlowConsumerIsDisconnectedWithAnError() throws {
        let topic = unique("/topic")
        let slow = try connectedClient(.tcp)
        try slow.subscribe(topic, id: "s")
        let publisher = try connectedClient(.tcp)
        let body = String(repeating: "x", count: 64 * 1024)
        // Far more than the kernel's socket buffers and the 64 KiB output limit: the node must
        // give up on the reader that never reads instead of buffering without bound.
        for _ in 0..<400 { try publisher.send(.SEND, [("destination", topic)], body: body) }
        try publisher.publish(topic, "last")
        var sawError = false
        while let frame = try? slow.receive(timeout: 5) {
            if frame.command == .ERROR {
                XCTAssertTrue(frame["message"]?.contains("slow consumer") ?? false, frame["message"] ?? "")
                sawError = true
                break
            }
        }
        XCTAssertTrue(sawError, "the slow consumer was told why it is disconnected")
        try slow.waitForClose()
    }
}
