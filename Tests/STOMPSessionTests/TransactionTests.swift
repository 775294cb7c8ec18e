import Broker
import STOMPSession
import STOMPWire
import XCTest

final class TransactionTests: XCTestCase {
    func testSendsAndAcksInATransactionTakeEffectAtCommit() {
        var h = SessionHarness()
        h.connect()
        XCTAssertEqual(h.receive(.BEGIN, [("transaction", "t")]), [])
        XCTAssertEqual(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")], body: [1]), [])
        XCTAssertEqual(h.receive(.ACK, [("id", "9"), ("transaction", "t")]), [])
        XCTAssertEqual(operations(h.receive(.COMMIT, [("transaction", "t")])), [
            .send(destination: "/queue/a", headers: [], body: [1]), .ack(id: "9"),
        ])
    }

    func testAbortDiscardsTheTransaction() {
        var h = SessionHarness()
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        _ = h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")])
        XCTAssertEqual(h.receive(.ABORT, [("transaction", "t")]), [])
        assertError(h.receive(.COMMIT, [("transaction", "t")]), contains: "unknown transaction")
    }

    func testReceiptInsideATransactionIsSentAtOnce() {
        var h = SessionHarness()
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        XCTAssertEqual(frames(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t"), ("receipt", "r")])).map(\.command), [.RECEIPT])
    }

    func testCommitReceiptComesAfterTheOperations() {
        var h = SessionHarness()
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        _ = h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")])
        let actions = h.receive(.COMMIT, [("transaction", "t"), ("receipt", "c")])
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(actions.last, .send(STOMPFrame(.RECEIPT, headers: [("receipt-id", "c")])))
    }

    func testSendToUnknownTransactionIsAnError() {
        var h = SessionHarness()
        h.connect()
        assertError(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "nope")]), contains: "unknown transaction")
    }

    func testBeginTwiceIsAnError() {
        var h = SessionHarness()
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        assertError(h.receive(.BEGIN, [("transaction", "t")]), contains: "already open")
    }

    func testOpenTransactionsAreLimited() {
        var h = SessionHarness(configuration: SessionConfiguration(maxTransactions: 2))
        h.connect()
        XCTAssertEqual(h.receive(.BEGIN, [("transaction", "1")]), [])
        XCTAssertEqual(h.receive(.BEGIN, [("transaction", "2")]), [])
        assertError(h.receive(.BEGIN, [("transaction", "3")]), contains: "too many open transactions")
    }

    func testFramesPerTransactionAreLimited() {
        var h = SessionHarness(configuration: SessionConfiguration(maxFramesPerTransaction: 2))
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        XCTAssertEqual(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")]), [])
        XCTAssertEqual(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")]), [])
        assertError(h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")]), contains: "too many frames")
    }

    func testDisconnectDiscardsOpenTransactions() {
        var h = SessionHarness()
        h.connect()
        _ = h.receive(.BEGIN, [("transaction", "t")])
        _ = h.receive(.SEND, [("destination", "/queue/a"), ("transaction", "t")])
        XCTAssertEqual(h.receive(.DISCONNECT), [.close])
        XCTAssertEqual(h.receive(.COMMIT, [("transaction", "t")]), [])
    }
}
