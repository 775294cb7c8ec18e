import Broker
import Router
import STOMPWire
import XCTest

func key(_ session: SessionID, _ id: String) -> SubscriptionKey {
    SubscriptionKey(session: session, id: id)
}

extension LocalBroker {
    /// Subscribes with test-friendly defaults.
    @discardableResult
    mutating func sub(
        _ session: SessionID, _ id: String, _ destination: String,
        user: String = "anon", ack: AckMode = .auto, prefetch: Int? = nil
    ) throws(BrokerError) -> [Delivery] {
        try subscribe(key(session, id), destination: destination, user: user, ackMode: ack, prefetch: prefetch)
    }

    /// Publishes `body` as UTF-8 with no headers.
    @discardableResult
    mutating func send(_ destination: String, _ body: String = "") throws(BrokerError) -> [Delivery] {
        try publish(destination: destination, headers: [], body: Array(body.utf8))
    }
}

extension Delivery {
    /// "session/id:body", with a trailing "!" when redelivered: compact for assertions.
    var summary: String {
        "\(subscription.session)/\(subscription.id):\(String(decoding: publication.body, as: UTF8.self))\(redelivered ? "!" : "")"
    }
}

func summaries(_ deliveries: [Delivery]) -> [String] {
    deliveries.map(\.summary)
}

/// Asserts `body` throws exactly `expected`.
func assertThrows(
    _ expected: BrokerError, file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws(BrokerError) -> Void
) {
    do {
        try body()
        XCTFail("expected \(expected)", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}
