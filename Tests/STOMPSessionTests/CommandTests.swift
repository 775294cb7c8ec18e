import Broker
import STOMPSession
import STOMPWire
import XCTest

final class CommandTests: XCTestCase {
    func testSendBecomesABrokerSendWithoutTransportHeaders() {
        var h = SessionHarness()
        h.connect()
        let actions = h.receive(.SEND, [("destination", "/topic/a"), ("content-type", "text/plain"), ("x-app", "1"), ("content-length", "2")], body: [104, 105])
        XCTAssertEqual(operations(actions), [.send(destination: "/topic/a", headers: [
            STOMPHeader(name: "content-type", value: "text/plain"), STOMPHeader(name: "x-app", value: "1"),
        ], body: [104, 105])])
    }

    func testSendPassesOnUserHeadersInWireOrderWhereverTheTransportHeadersStand() {
        var h = SessionHarness()
        h.connect()
        let actions = h.receive(.SEND, [
            ("receipt", "r1"), ("x-a", "1"), ("destination", "/topic/a"), ("content-length", "0"), ("x-b", "2"),
            ("receipt", "r2"), ("ack", "9"), ("x-c", "3"), ("destination", "/topic/ignored"),
        ])
        XCTAssertEqual(actions, [
            .perform(.send(destination: "/topic/a", headers: [
                STOMPHeader(name: "x-a", value: "1"), STOMPHeader(name: "x-b", value: "2"), STOMPHeader(name: "x-c", value: "3"),
            ], body: []), receipt: "r1"),
            .send(STOMPFrame(.RECEIPT, headers: [("receipt-id", "r1")])),
        ], "the first destination and receipt count; user headers keep their order")
    }

    func testSendWithoutDestinationIsAnErrorWithTheFirstReceiptId() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.SEND, [("x-a", "1"), ("receipt", "r1"), ("x-b", "2"), ("receipt", "r2")]), contains: "destination", receipt: "r1")
    }

    func testSendWithoutDestinationIsAnErrorWithReceiptId() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.SEND, [("receipt", "r9")]), contains: "destination", receipt: "r9")
    }

    func testReceiptFollowsTheOperation() {
        var h = SessionHarness()
        h.connect()
        let actions = h.receive(.SUBSCRIBE, [("destination", "/queue/a"), ("id", "s1"), ("receipt", "r1")])
        XCTAssertEqual(actions, [
            .perform(.subscribe(id: "s1", destination: "/queue/a", ackMode: .auto, prefetch: nil), receipt: "r1"),
            .send(STOMPFrame(.RECEIPT, headers: [("receipt-id", "r1")])),
        ])
    }

    func testSubscribeParsesAckModeAndPrefetch() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(operations(h.receive(.SUBSCRIBE, [("destination", "/queue/a"), ("id", "1"), ("ack", "client-individual"), ("prefetch-count", "5")])),
                       [.subscribe(id: "1", destination: "/queue/a", ackMode: .clientIndividual, prefetch: 5)])
    }

    func testSubscribeWithUnknownAckModeIsAnError() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.SUBSCRIBE, [("destination", "/queue/a"), ("id", "1"), ("ack", "sometimes")]), contains: "ack mode")
    }

    func testSubscribeRequiresIdIn11AndLater() {
        var h = SessionHarness()
        h.connect([("accept-version", "1.1")])
        assertError(h.receive(.SUBSCRIBE, [("destination", "/topic/a")]), contains: "'id'")
    }

    func testSubscribeIn10UsesTheDestinationAsId() {
        var h = SessionHarness()
        h.connect([])
        XCTAssertEqual(operations(h.receive(.SUBSCRIBE, [("destination", "/topic/a")])),
                       [.subscribe(id: "/topic/a", destination: "/topic/a", ackMode: .auto, prefetch: nil)])
    }

    func testUnsubscribeRequiresId() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.UNSUBSCRIBE, []), contains: "'id'")
    }

    func testAck12UsesTheIdHeader() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(operations(h.receive(.ACK, [("id", "a-1")])), [.ack(id: "a-1")])
        XCTAssertEqual(operations(h.receive(.NACK, [("id", "a-2")])), [.nack(id: "a-2")])
    }

    func testAck11UsesMessageIdAndSubscription() {
        var h = SessionHarness()
        h.connect([("accept-version", "1.1")])
        XCTAssertEqual(operations(h.receive(.ACK, [("message-id", "m1"), ("subscription", "s")])), [.ackMessage(subscription: "s", messageID: "m1")])
        assertError(h.receive(.ACK, [("message-id", "m1")]), contains: "subscription")
    }

    func testNackIsNotStomp10() {
        var h = SessionHarness()
        h.connect([])
        assertError(h.receive(.NACK, [("message-id", "m1")]), contains: "1.0")
    }

    func testDisconnectWithReceiptAnswersThenCloses() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(h.receive(.DISCONNECT, [("receipt", "bye")]), [.send(STOMPFrame(.RECEIPT, headers: [("receipt-id", "bye")])), .close])
        XCTAssertEqual(h.session.state, .closed)
    }

    func testDisconnectWithoutReceiptJustCloses() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(h.receive(.DISCONNECT), [.close])
    }

    func testBrokerFailureBecomesErrorWithReceipt() {
        var h = SessionHarness()
        h.connect()
        assertError(h.session.operationFailed("no such queue", receipt: "r3"), contains: "no such queue", receipt: "r3")
    }

    func testDecodingFailureBecomesError() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(h.session.state, .connected)
        let actions = h.session.terminate("server shutting down")
        assertError(actions, contains: "shutting down")
    }
}
