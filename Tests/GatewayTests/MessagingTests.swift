import STOMPWire
import WebSocketWire
import XCTest

final class MessagingTests: GatewayTestCase {
    func testTopicMessageCarriesDestinationSubscriptionIdAndUserHeaders() throws {
        try forEachTransport { kind in
            let destination = unique("/topic")
            let subscriber = try connectedClient(kind)
            try subscriber.subscribe(destination, id: "s-1")
            let publisher = try connectedClient(kind)
            try publisher.publish(destination, "hello", headers: [("content-type", "text/plain"), ("x-trace", "42")])
            let message = try subscriber.expect(.MESSAGE)
            XCTAssertEqual(message["destination"], destination)
            XCTAssertEqual(message["subscription"], "s-1")
            XCTAssertNotNil(message["message-id"])
            XCTAssertEqual(message["content-type"], "text/plain")
            XCTAssertEqual(message["x-trace"], "42")
            XCTAssertEqual(String(decoding: message.body, as: UTF8.self), "hello")
        }
    }

    func testTopicFansOutToEverySubscriber() throws {
        try forEachTransport { kind in
            let destination = unique("/topic")
            let subscribers = try (0..<3).map { i -> TestClient in
                let c = try connectedClient(kind)
                try c.subscribe(destination, id: "s\(i)")
                return c
            }
            let publisher = try connectedClient(kind)
            for i in 0..<5 { try publisher.publish(destination, "m\(i)") }
            for subscriber in subscribers {
                let bodies = try (0..<5).map { _ in String(decoding: try subscriber.expect(.MESSAGE).body, as: UTF8.self) }
                XCTAssertEqual(bodies, ["m0", "m1", "m2", "m3", "m4"], "in publish order")
            }
        }
    }

    func testWildcardSubscriptionsMatchBySegment() throws {
        let base = unique("/topic")
        let c = try connectedClient(.tcp)
        try c.subscribe("\(base).*", id: "one")
        try c.subscribe("\(base).#", id: "many")
        try c.publish("\(base).a", "1")
        let first = [try c.expect(.MESSAGE), try c.expect(.MESSAGE)].compactMap { $0["subscription"] }.sorted()
        XCTAssertEqual(first, ["many", "one"])
        try c.publish("\(base).a.b", "2")
        XCTAssertEqual(try c.expect(.MESSAGE)["subscription"], "many")
        XCTAssertTrue(c.receivesNothing())
    }

    func testUnsubscribeStopsDelivery() throws {
        let destination = unique("/topic")
        let c = try connectedClient(.webSocket)
        try c.subscribe(destination, id: "s")
        try c.send(.UNSUBSCRIBE, [("id", "s"), ("receipt", "u")])
        try c.awaitReceipt("u")
        try c.publish(destination, "x")
        XCTAssertTrue(c.receivesNothing())
    }

    func testDisconnectWithReceiptAnswersAndCloses() throws {
        try forEachTransport { kind in
            let c = try connectedClient(kind)
            try c.send(.DISCONNECT, [("receipt", "bye")])
            XCTAssertEqual(try c.expect(.RECEIPT)["receipt-id"], "bye")
            let code = try c.waitForClose()
            if kind == .webSocket { XCTAssertEqual(code, 1000) }
        }
    }

    func testOneMebibyteBodyArrivesIntact() throws {
        try forEachTransport { kind in
            let destination = unique("/topic")
            let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
            let subscriber = try connectedClient(kind)
            try subscriber.subscribe(destination, id: "big")
            let publisher = try connectedClient(kind)
            try publisher.send(STOMPFrame(.SEND, headers: [("destination", destination)], body: body))
            let message = try subscriber.expect(.MESSAGE, timeout: 20)
            XCTAssertEqual(message.body.count, body.count)
            XCTAssertTrue(message.body == body)
        }
    }

    func testBodyWithNulBytesUsesContentLengthAndBinaryFrames() throws {
        let destination = unique("/topic")
        let subscriber = try connectedClient(.webSocket)
        try subscriber.subscribe(destination, id: "bin")
        let publisher = try connectedClient(.webSocket)
        let body: [UInt8] = [0, 1, 2, 0xFF, 0, 0xC3]
        try publisher.send(STOMPFrame(.SEND, headers: [("destination", destination)], body: body))
        let message = try subscriber.expect(.MESSAGE)
        XCTAssertEqual(message.body, body)
        XCTAssertEqual(message["content-length"], "6")
        XCTAssertGreaterThan(subscriber.binaryMessages, 0, "a body that is not UTF-8 goes out as a binary frame")
    }

    func testABinaryMessageFromAPublisherThatSentTextBeforeIsCheckedAgain() throws {
        let destination = unique("/topic")
        let subscriber = try connectedClient(.webSocket)
        try subscriber.subscribe(destination, id: "mixed")
        let publisher = try connectedClient(.webSocket)
        try publisher.send(STOMPFrame(.SEND, headers: [("destination", destination)], body: Array("text first".utf8)))
        XCTAssertEqual(try subscriber.expect(.MESSAGE).body, Array("text first".utf8))
        XCTAssertEqual(subscriber.binaryMessages, 0, "a body that came in a text message goes out as text")
        let body: [UInt8] = [0xFF, 0xFE, 0x80]
        try publisher.send(STOMPFrame(.SEND, headers: [("destination", destination)], body: body))
        XCTAssertEqual(try subscriber.expect(.MESSAGE).body, body)
        XCTAssertEqual(subscriber.binaryMessages, 1, "once the publisher sent a binary message its bodies are validated again")
    }

    func testSeveralFramesInOneWebSocketMessage() throws {
        let destination = unique("/topic")
        let c = try client(.webSocket)
        var bytes = STOMPEncoder.encode(STOMPFrame(.CONNECT, headers: [("accept-version", "1.2"), ("host", "/")]), version: .v1_2)
        bytes += STOMPEncoder.encode(STOMPFrame(.SUBSCRIBE, headers: [("destination", destination), ("id", "1")]), version: .v1_2)
        bytes += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", destination)], body: Array("a".utf8)), version: .v1_2)
        bytes += STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", destination), ("receipt", "r")], body: Array("b".utf8)), version: .v1_2)
        try c.sendMessage(bytes)
        try c.expect(.CONNECTED)
        XCTAssertEqual(try c.expect(.MESSAGE).body, Array("a".utf8))
        XCTAssertEqual(try c.expect(.MESSAGE).body, Array("b".utf8))
        XCTAssertEqual(try c.expect(.RECEIPT)["receipt-id"], "r")
    }

    func testOneFrameSplitOverSeveralWebSocketMessagesAndFragments() throws {
        let c = try client(.webSocket)
        let bytes = STOMPEncoder.encode(STOMPFrame(.CONNECT, headers: [("accept-version", "1.2"), ("host", "/")]), version: .v1_2)
        // first half as its own message, second half as a fragmented message (text + continuation)
        let half = bytes.count / 2
        try c.sendMessage(Array(bytes[..<half]))
        try c.sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: .text, fin: false, payload: Array(bytes[half..<(half + 3)]), maskKey: (9, 8, 7, 6)))
        try c.sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: .ping, fin: true, payload: Array("p".utf8), maskKey: (9, 8, 7, 6)))
        try c.sendRaw(WebSocketFrameEncoder.maskedFrame(opcode: .continuation, fin: true, payload: Array(bytes[(half + 3)...]), maskKey: (9, 8, 7, 6)))
        try c.expect(.CONNECTED)
    }

    func testReceiptsForEveryFrameKind() throws {
        let c = try connectedClient(.tcp)
        let destination = unique("/queue")
        for (command, headers) in [
            (STOMPCommand.SUBSCRIBE, [("destination", destination), ("id", "1")]),
            (.SEND, [("destination", destination)]),
            (.BEGIN, [("transaction", "t")]),
            (.ABORT, [("transaction", "t")]),
            (.UNSUBSCRIBE, [("id", "1")]),
        ] {
            try c.send(command, headers + [("receipt", command.rawValue)])
            try c.awaitReceipt(command.rawValue)
        }
    }

    func testStomp10And11ClientsAreServed() throws {
        for version in ["1.0", "1.1"] {
            let destination = unique("/topic")
            let c = try client(.tcp)
            let connected = try c.connect(version == "1.0" ? [] : [("accept-version", version), ("host", "/")])
            XCTAssertEqual(connected["version"], version)
            try c.subscribe(destination, id: "s")
            try c.publish(destination, "v\(version)", headers: [("x-colon", "a:b")])
            let message = try c.expect(.MESSAGE)
            XCTAssertEqual(message["x-colon"], "a:b")
        }
    }

    func testSubprotocolIsNegotiated() throws {
        let node = try self.node
        let c = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/stomp", subprotocols: ["v10.stomp", "v11.stomp"], origin: nil))
        XCTAssertEqual(c.negotiatedSubprotocol, "v11.stomp")
        let plain = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: [], origin: nil))
        XCTAssertNil(plain.negotiatedSubprotocol)
        try plain.connect()
    }
}
