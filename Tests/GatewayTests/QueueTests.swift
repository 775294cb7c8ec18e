import STOMPWire
import XCTest

final class QueueTests: GatewayTestCase {
    func testEachQueueMessageGoesToExactlyOneConsumerRoundRobin() throws {
        try forEachTransport { kind in
            let queue = unique("/queue")
            let consumers = try (0..<3).map { i -> TestClient in
                let c = try connectedClient(kind)
                try c.subscribe(queue, id: "c\(i)")
                return c
            }
            let producer = try connectedClient(kind)
            for i in 0..<9 { try producer.publish(queue, "m\(i)") }
            var seen: [String] = []
            for consumer in consumers {
                let bodies = try (0..<3).map { _ in String(decoding: try consumer.expect(.MESSAGE).body, as: UTF8.self) }
                seen += bodies
                XCTAssertTrue(consumer.receivesNothing(within: 0.1), "round robin gives each consumer exactly 3")
            }
            XCTAssertEqual(Set(seen), Set((0..<9).map { "m\($0)" }))
            XCTAssertEqual(seen.count, 9)
        }
    }

    func testMessagesWaitForTheFirstConsumer() throws {
        let queue = unique("/queue")
        let producer = try connectedClient(.tcp)
        for i in 0..<3 { try producer.publish(queue, "early\(i)") }
        let consumer = try connectedClient(.webSocket)
        try consumer.subscribe(queue, id: "late")
        let bodies = try (0..<3).map { _ in String(decoding: try consumer.expect(.MESSAGE).body, as: UTF8.self) }
        XCTAssertEqual(bodies, ["early0", "early1", "early2"])
    }

    func testUnackedMessageIsRedeliveredToAnotherConsumerOnDisconnect() throws {
        let queue = unique("/queue")
        var first: TestClient? = try connectedClient(.tcp)
        try first!.subscribe(queue, id: "a", ack: "client")
        let producer = try connectedClient(.tcp)
        try producer.publish(queue, "precious")
        let original = try first!.expect(.MESSAGE)
        XCTAssertNotNil(original["ack"])
        let second = try connectedClient(.webSocket)
        try second.subscribe(queue, id: "b", ack: "client")
        first = nil  // socket closed without ACK
        let redelivered = try second.expect(.MESSAGE)
        XCTAssertEqual(String(decoding: redelivered.body, as: UTF8.self), "precious")
        XCTAssertEqual(redelivered["redelivered"], "true")
        XCTAssertEqual(redelivered["message-id"], original["message-id"])
    }

    func testNackRedeliversToAnotherConsumer() throws {
        let queue = unique("/queue")
        let a = try connectedClient(.tcp)
        try a.subscribe(queue, id: "a", ack: "client-individual")
        let b = try connectedClient(.tcp)
        try b.subscribe(queue, id: "b", ack: "client-individual")
        let producer = try connectedClient(.tcp)
        try producer.publish(queue, "m")
        let (receiver, other) = try { () throws -> (TestClient, TestClient) in
            if let frame = try? a.receive(timeout: 1), frame.command == .MESSAGE {
                try a.send(.NACK, [("id", frame["ack"]!)])
                return (a, b)
            }
            let frame = try b.expect(.MESSAGE)
            try b.send(.NACK, [("id", frame["ack"]!)])
            return (b, a)
        }()
        let again = try other.expect(.MESSAGE)
        XCTAssertEqual(again["redelivered"], "true")
        XCTAssertTrue(receiver.receivesNothing(within: 0.2))
    }

    func testAckedMessageIsNotRedelivered() throws {
        let queue = unique("/queue")
        var a: TestClient? = try connectedClient(.tcp)
        try a!.subscribe(queue, id: "a", ack: "client")
        let producer = try connectedClient(.tcp)
        try producer.publish(queue, "done")
        let frame = try a!.expect(.MESSAGE)
        try a!.send(.ACK, [("id", frame["ack"]!), ("receipt", "acked")])
        try a!.awaitReceipt("acked")
        a = nil
        let b = try connectedClient(.tcp)
        try b.subscribe(queue, id: "b")
        XCTAssertTrue(b.receivesNothing())
    }

    func testPrefetchCapsUnackedMessagesPerSubscription() throws {
        let queue = unique("/queue")
        let c = try connectedClient(.tcp)
        try c.subscribe(queue, id: "p", ack: "client-individual", extra: [("prefetch-count", "2")])
        let producer = try connectedClient(.tcp)
        for i in 0..<3 { try producer.publish(queue, "m\(i)") }
        let one = try c.expect(.MESSAGE)
        _ = try c.expect(.MESSAGE)
        XCTAssertTrue(c.receivesNothing(), "third message waits for an ACK")
        try c.send(.ACK, [("id", one["ack"]!)])
        XCTAssertEqual(String(decoding: try c.expect(.MESSAGE).body, as: UTF8.self), "m2")
    }

    func testStomp11AckUsesMessageIdAndSubscription() throws {
        let queue = unique("/queue")
        let c = try client(.tcp)
        try c.connect([("accept-version", "1.1"), ("host", "/")])
        try c.subscribe(queue, id: "s", ack: "client", extra: [("prefetch-count", "1")])
        let producer = try connectedClient(.tcp)
        try producer.publish(queue, "1")
        try producer.publish(queue, "2")
        let first = try c.expect(.MESSAGE)
        try c.send(.ACK, [("message-id", first["message-id"]!), ("subscription", "s")])
        XCTAssertEqual(String(decoding: try c.expect(.MESSAGE).body, as: UTF8.self), "2")
    }

    func testTransactionDeliversOnCommitAndDiscardsOnAbort() throws {
        try forEachTransport { kind in
            let queue = unique("/queue")
            let consumer = try connectedClient(kind)
            try consumer.subscribe(queue, id: "t")
            let producer = try connectedClient(kind)
            try producer.send(.BEGIN, [("transaction", "tx1")])
            try producer.send(.SEND, [("destination", queue), ("transaction", "tx1")], body: "kept")
            try producer.send(.BEGIN, [("transaction", "tx2")])
            try producer.send(.SEND, [("destination", queue), ("transaction", "tx2")], body: "dropped")
            try producer.send(.ABORT, [("transaction", "tx2"), ("receipt", "aborted")])
            try producer.awaitReceipt("aborted")
            XCTAssertTrue(consumer.receivesNothing(), "nothing before COMMIT")
            try producer.send(.COMMIT, [("transaction", "tx1"), ("receipt", "committed")])
            try producer.awaitReceipt("committed")
            XCTAssertEqual(String(decoding: try consumer.expect(.MESSAGE).body, as: UTF8.self), "kept")
            XCTAssertTrue(consumer.receivesNothing())
        }
    }

    func testTransactionIsDiscardedOnDisconnect() throws {
        let queue = unique("/queue")
        let consumer = try connectedClient(.tcp)
        try consumer.subscribe(queue, id: "t")
        var producer: TestClient? = try connectedClient(.tcp)
        try producer!.send(.BEGIN, [("transaction", "tx")])
        try producer!.send(.SEND, [("destination", queue), ("transaction", "tx"), ("receipt", "queued")], body: "never")
        try producer!.awaitReceipt("queued")
        producer = nil
        XCTAssertTrue(consumer.receivesNothing(within: 0.5))
    }
}
