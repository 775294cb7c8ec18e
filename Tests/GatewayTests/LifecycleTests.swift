import Foundation
import STOMPWire
import XCTest

final class ShutdownTests: XCTestCase {
    func testSIGTERMTellsClientsAndExitsCleanly() throws {
        let node = try NodeProcess()
        let ws = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: nil))
        try ws.connect()
        let tcp = try TestClient(port: node.stompPort)
        try tcp.connect()
        kill(node.process.processIdentifier, SIGTERM)
        XCTAssertTrue(try ws.expect(.ERROR)["message"]?.contains("shutting down") ?? false)
        XCTAssertEqual(try ws.waitForClose(), 1001, "going away: reconnect elsewhere")
        XCTAssertTrue(try tcp.expect(.ERROR)["message"]?.contains("shutting down") ?? false)
        try tcp.waitForClose()
        XCTAssertEqual(node.stop(), 0)
        XCTAssertTrue(node.log.contains("node stopped"), node.log)
    }

    func testStartupLogNamesTheURLs() throws {
        let node = try NodeProcess()
        defer { node.stop() }
        // The ports accept before the start-up line is written: wait for it.
        _ = node.waitForLog("stampede node listening")
        XCTAssertTrue(node.log.contains("ws://127.0.0.1:\(node.webSocketPort)/ws"), node.log)
        XCTAssertTrue(node.log.contains("stomp://127.0.0.1:\(node.stompPort)"), node.log)
    }

    func testHelpExplainsTheOptions() throws {
        let process = Process()
        process.executableURL = NodeProcess.executable
        process.arguments = ["--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        for option in ["--config", "--port", "--stomp-port", "--set"] { XCTAssertTrue(output.contains(option), output) }
    }
}

final class ConcurrencyTests: GatewayTestCase {
    /// 1,000 clients connected at once, each subscribed; one publish reaches all of them.
    func testThousandConcurrentConnections() throws {
        let topic = unique("/topic")
        var clients: [TestClient] = []
        for i in 0..<1_000 {
            let c = try connectedClient(i % 2 == 0 ? .tcp : .webSocket)
            try c.subscribe(topic, id: "s")
            clients.append(c)
        }
        let publisher = try connectedClient(.tcp)
        try publisher.publish(topic, "to everyone")
        for c in clients {
            XCTAssertEqual(String(decoding: try c.expect(.MESSAGE, timeout: 10).body, as: UTF8.self), "to everyone")
        }
    }
}
