import Foundation
import STOMPWire
import WebSocketWire
import XCTest

/// Every kind of bad input gets its ERROR frame or close code, and the node keeps serving others.
final class MalformedInputTests: GatewayTestCase {
    override class var nodeArguments: [String] {
        ["--set", "limits.stomp.max-body-bytes=65536", "--set", "limits.websocket.max-message-bytes=131072",
         "--set", "limits.stomp.max-headers=8"]
    }

    private var bystander: TestClient!
    private var bystanderTopic = ""

    override func setUpWithError() throws {
        bystanderTopic = unique("/topic")
        bystander = try connectedClient(.webSocket)
        try bystander.subscribe(bystanderTopic, id: "b")
    }

    /// After each bad client, a healthy one still gets its messages.
    override func tearDownWithError() throws {
        let publisher = try connectedClient(.tcp)
        try publisher.publish(bystanderTopic, "still here")
        XCTAssertEqual(String(decoding: try bystander.expect(.MESSAGE).body, as: UTF8.self), "still here")
    }

    private func assertErrorThenClose(_ c: TestClient, contains fragment: String, receipt: String? = nil, closeCode: UInt16? = nil,
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let error = try c.expect(.ERROR)
        let message = error["message"] ?? ""
        XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertEqual(error["receipt-id"], receipt, file: file, line: line)
        let code = try c.waitForClose()
        if let closeCode { XCTAssertEqual(code, closeCode, file: file, line: line) }
    }

    func testUnknownCommand() throws {
        try forEachTransport { kind in
            let c = try connectedClient(kind)
            try c.sendMessage(Array("FROB\n\n\0".utf8))
            try assertErrorThenClose(c, contains: "FROB", closeCode: kind == .webSocket ? 1002 : nil)
        }
    }

    func testBodyOverTheLimitNamesTheReceipt() throws {
        try forEachTransport { kind in
            let c = try connectedClient(kind)
            try c.send(STOMPFrame(.SEND, headers: [("destination", "/topic/x"), ("receipt", "big"), ("content-length", "70000")], body: []))
            try assertErrorThenClose(c, contains: "body limit", receipt: "big", closeCode: kind == .webSocket ? 1009 : nil)
        }
    }

    func testTooManyHeaders() throws {
        let c = try connectedClient(.tcp)
        try c.send(STOMPFrame(.SEND, headers: (0..<9).map { ("h\($0)", "v") } + [("destination", "/topic/x")]))
        try assertErrorThenClose(c, contains: "header")
    }

    func testInvalidHeaderEscape() throws {
        let c = try connectedClient(.tcp)
        try c.sendRaw(Array("SEND\ndestination:/topic/x\nbad:\\t\n\n\0".utf8))
        try assertErrorThenClose(c, contains: "escape")
    }

    func testUnknownDestinationPrefix() throws {
        let c = try connectedClient(.tcp)
        try c.send(.SEND, [("destination", "/nowhere/x"), ("receipt", "r")])
        try assertErrorThenClose(c, contains: "/topic/", receipt: "r")
    }

    func testAckOfUnknownMessage() throws {
        let c = try connectedClient(.tcp)
        try c.send(.ACK, [("id", "nonsense")])
        try assertErrorThenClose(c, contains: "nonsense")
    }

    func testUnmaskedClientFrameCloses1002() throws {
        let c = try client(.webSocket)
        try c.sendRaw(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("CONNECT\n\n\0".utf8)))
        XCTAssertEqual(try c.waitForClose(), 1002)
    }

    func testReservedBitsClose1002() throws {
        let c = try client(.webSocket)
        var frame = WebSocketFrameEncoder.maskedFrame(opcode: .text, fin: true, payload: Array("x".utf8), maskKey: (1, 2, 3, 4))
        frame[0] |= 0x40
        try c.sendRaw(frame)
        XCTAssertEqual(try c.waitForClose(), 1002)
    }

    func testInvalidUTF8InTextMessageCloses1007() throws {
        let c = try client(.webSocket)
        try c.sendMessage([0x43, 0xC0, 0x80], opcode: .text)
        XCTAssertEqual(try c.waitForClose(), 1007)
    }

    func testMessageOverTheLimitCloses1009() throws {
        let c = try client(.webSocket)
        try c.sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: .binary, fin: true, payload: [UInt8](repeating: 65, count: 140_000), maskKey: (1, 2, 3, 4)))
        XCTAssertEqual(try c.waitForClose(), 1009)
    }

    func testCloseHandshakeEchoesTheCode() throws {
        let c = try connectedClient(.webSocket)
        var payload: [UInt8] = [0x0F, 0xA0]  // 4000
        payload += Array("bye".utf8)
        try c.sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: .close, fin: true, payload: payload, maskKey: (1, 2, 3, 4)))
        XCTAssertEqual(try c.waitForClose(), 4000)
    }

    func testHandshakeRefusals() throws {
        let node = try self.node
        func status(_ request: String) throws -> (Int, [String: String]) {
            let c = try TestClient(port: node.webSocketPort)
            try c.sendRaw(Array(request.utf8))
            let (status, headers, _) = try c.readHTTPResponse()
            return (status, headers)
        }
        let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        XCTAssertEqual(try status("GET /nope HTTP/1.1\r\nHost: x\r\n\(upgrade)Sec-WebSocket-Version: 13\r\n\r\n").0, 404)
        XCTAssertEqual(try status("POST /ws HTTP/1.1\r\nHost: x\r\n\(upgrade)Sec-WebSocket-Version: 13\r\n\r\n").0, 405)
        XCTAssertEqual(try status("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n").0, 426)
        let version = try status("GET /ws HTTP/1.1\r\nHost: x\r\n\(upgrade)Sec-WebSocket-Version: 8\r\n\r\n")
        XCTAssertEqual(version.0, 426)
        XCTAssertEqual(version.1["sec-websocket-version"], "13")
        XCTAssertEqual(try status("GET /ws HTTP/1.1\r\nHost: x\r\n\(upgrade)Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n").0, 403)
        XCTAssertEqual(try status("GARBAGE\r\n\r\n").0, 400)
    }

    func testAllowedOriginIsAccepted() throws {
        let node = try self.node
        let c = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: ["v12.stomp"], origin: "http://localhost:3000"))
        try c.connect()
    }
}
