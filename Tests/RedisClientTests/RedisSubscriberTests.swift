import RedisClient
import TestSupport
import UVLoop
import XCTest

final class RedisSubscriberTests: XCTestCase {
    private var server: RedisServerProcess!

    override func setUpWithError() throws {
        ignoreSIGPIPE()  // hiredis writes with write(2); a node does the same at startup
        server = try RedisServerProcess.started()
    }

    override func tearDown() {
        server.stop()
        server = nil
    }

    private struct Message: Equatable {
        let channel: String
        let pattern: String?
        let payload: [UInt8]
    }

    private final class Inbox {
        var messages: [Message] = []
    }

    private func subscriber(_ loop: EventLoop, reconnectMaxMilliseconds: UInt64 = 2000) -> (RedisSubscriber, Inbox) {
        let subscriber = RedisSubscriber(loop: loop, endpoint: server.endpoint, name: "subscriber", reconnectMaxMilliseconds: reconnectMaxMilliseconds)
        let inbox = Inbox()
        subscriber.onMessage = { channel, pattern, payload in
            inbox.messages.append(Message(channel: channel.utf8String, pattern: pattern?.utf8String, payload: payload))
        }
        return (subscriber, inbox)
    }

    private func publisher(_ loop: EventLoop, reconnectMaxMilliseconds: UInt64 = 2000) -> RedisConnection {
        let publisher = RedisConnection(loop: loop, endpoint: server.endpoint, name: "publisher", reconnectMaxMilliseconds: reconnectMaxMilliseconds)
        publisher.start()
        spin(loop) { publisher.state == .connected }
        return publisher
    }

    func testPublishedBinaryMessageArrivesAfterConfirmation() throws {
        let loop = try EventLoop()
        let publisher = publisher(loop)
        let (subscriber, inbox) = subscriber(loop)
        var confirmations = 0
        subscriber.subscribe("news") { confirmations += 1 }
        XCTAssertEqual(subscriber.subscriptionCount, 1)
        XCTAssertEqual(subscriber.acknowledgedSubscriptionCount, 0)
        subscriber.start()
        spin(loop) { confirmations == 1 }
        XCTAssertEqual(subscriber.acknowledgedSubscriptionCount, 1)

        let payload: [UInt8] = [0, 1, 2, 0, 255, 13, 10]
        var receivers: Int64?
        publisher.send([Array("PUBLISH".utf8), Array("news".utf8), payload]) { receivers = $0.integer }
        publisher.send(["PUBLISH", "other", "x"])
        spin(loop) { inbox.messages.count == 1 && receivers != nil }
        XCTAssertEqual(receivers, 1)
        XCTAssertEqual(inbox.messages, [Message(channel: "news", pattern: nil, payload: payload)])
        idle(loop, milliseconds: 20)
        XCTAssertEqual(inbox.messages.count, 1, "nothing from unsubscribed channels")
        XCTAssertEqual(confirmations, 1)
        XCTAssertEqual(try server.command(["CLIENT", "LIST", "TYPE", "pubsub"]).string?.contains("name=subscriber"), true)

        subscriber.close()
        publisher.close()
        assertLoopClosesCleanly(loop)
    }

    func testPatternSubscriptionReportsPatternAndChannel() throws {
        let loop = try EventLoop()
        let publisher = publisher(loop)
        let (subscriber, inbox) = subscriber(loop)
        subscriber.start()
        var confirmed = false
        subscriber.psubscribe("node.*") { confirmed = true }
        spin(loop) { confirmed }
        publisher.send(["PUBLISH", "node.7", "hello"])
        publisher.send(["PUBLISH", "nodes", "no"])
        publisher.send(["PUBLISH", "node.8", "again"])
        spin(loop) { inbox.messages.count == 2 }
        XCTAssertEqual(inbox.messages, [
            Message(channel: "node.7", pattern: "node.*", payload: Array("hello".utf8)),
            Message(channel: "node.8", pattern: "node.*", payload: Array("again".utf8)),
        ])
        subscriber.close()
        publisher.close()
        assertLoopClosesCleanly(loop)
    }

    func testConfirmationOfAcknowledgedSubscriptionRunsOnceOnLaterTurn() throws {
        let loop = try EventLoop()
        let (subscriber, _) = subscriber(loop)
        subscriber.start()
        var first = 0
        var second = 0
        var third = 0
        subscriber.subscribe("a") { first += 1 }
        subscriber.subscribe("a") { second += 1 }
        spin(loop) { first == 1 && second == 1 }
        subscriber.subscribe("a") { third += 1 }
        XCTAssertEqual(third, 0, "never from inside subscribe")
        spin(loop) { third == 1 }
        idle(loop, milliseconds: 20)
        XCTAssertEqual([first, second, third], [1, 1, 1])
        XCTAssertEqual(subscriber.subscriptionCount, 1)
        subscriber.close()
        assertLoopClosesCleanly(loop)
    }

    func testUnsubscribeStopsDeliveryAndPunsubscribeToo() throws {
        let loop = try EventLoop()
        let publisher = publisher(loop)
        let (subscriber, inbox) = subscriber(loop)
        subscriber.start()
        var confirmed = 0
        subscriber.subscribe("a") { confirmed += 1 }
        subscriber.psubscribe("b*") { confirmed += 1 }
        spin(loop) { confirmed == 2 }
        subscriber.unsubscribe("a")
        subscriber.punsubscribe("b*")
        XCTAssertEqual(subscriber.subscriptionCount, 0)
        // The (P)UNSUBSCRIBE travels on another connection than the PUBLISH: wait until the
        // server has applied it, or the PUBLISH may overtake it.
        var remaining: Int64 = -1
        spin(loop, "server still lists the subscriptions") {
            publisher.send(["PUBSUB", "NUMPAT"]) { reply in
                let patterns = reply.integer ?? -1
                publisher.send(["PUBSUB", "NUMSUB", "a"]) { remaining = patterns + ($0.array?.last?.integer ?? -1) }
            }
            return remaining == 0
        }
        var counts: [Int64] = []
        publisher.send(["PUBLISH", "a", "1"]) { counts.append($0.integer ?? -1) }
        publisher.send(["PUBLISH", "bb", "2"]) { counts.append($0.integer ?? -1) }
        spin(loop) { counts.count == 2 }
        idle(loop, milliseconds: 20)
        XCTAssertEqual(inbox.messages, [])
        XCTAssertEqual(counts, [0, 0], "the server dropped both subscriptions")

        subscriber.subscribe("a") { confirmed += 1 }
        spin(loop) { confirmed == 3 }
        publisher.send(["PUBLISH", "a", "3"])
        spin(loop) { inbox.messages.count == 1 }
        subscriber.close()
        publisher.close()
        assertLoopClosesCleanly(loop)
    }

    func testSubscriptionsMadeBeforeServerStartsAreConfirmedWhenItDoes() throws {
        let loop = try EventLoop()
        let port = server.port
        server.stop()
        let (subscriber, inbox) = subscriber(loop, reconnectMaxMilliseconds: 100)
        var confirmed = 0
        subscriber.subscribe("late") { confirmed += 1 }
        subscriber.start()
        idle(loop, milliseconds: 150)
        XCTAssertEqual(confirmed, 0)
        try server.start(port: port)
        spin(loop) { confirmed == 1 }
        let publisher = publisher(loop)
        publisher.send(["PUBLISH", "late", "hi"])
        spin(loop) { inbox.messages.count == 1 }
        subscriber.close()
        publisher.close()
        assertLoopClosesCleanly(loop)
    }

    func testRedisKilledWhileSubscribedThenRestartedResubscribesWithoutHelp() throws {
        let loop = try EventLoop()
        let publisher = publisher(loop, reconnectMaxMilliseconds: 100)
        let (subscriber, inbox) = subscriber(loop, reconnectMaxMilliseconds: 100)
        let recorder = StateRecorder()
        subscriber.onStateChange = recorder.record
        var confirmed = 0
        subscriber.subscribe("orders") { confirmed += 1 }
        subscriber.psubscribe("user.*") { confirmed += 1 }
        subscriber.start()
        spin(loop) { confirmed == 2 }
        publisher.send(["PUBLISH", "orders", "before"])
        spin(loop) { inbox.messages.count == 1 }

        server.kill9()
        spin(loop) { recorder.disconnections.count >= 2 }
        XCTAssertEqual(subscriber.acknowledgedSubscriptionCount, 0)
        XCTAssertEqual(subscriber.subscriptionCount, 2)
        try server.restart()

        // Only the library acts from here: publish until both subscriptions deliver again.
        var published = 0
        let ticker = Timer(loop: loop)
        ticker.start(afterMilliseconds: 20, repeatMilliseconds: 20) {
            published += 1
            publisher.send(["PUBLISH", "orders", "after-\(published)"])
            publisher.send(["PUBLISH", "user.42", "after-\(published)"])
        }
        spin(loop) {
            inbox.messages.contains { $0.channel == "orders" && $0.payload.utf8String.hasPrefix("after") }
                && inbox.messages.contains { $0.pattern == "user.*" && $0.channel == "user.42" }
        }
        ticker.close()
        XCTAssertEqual(subscriber.state, .connected)
        XCTAssertEqual(subscriber.acknowledgedSubscriptionCount, 2)
        XCTAssertEqual(confirmed, 2, "confirmations run once, not again after the reconnect")
        XCTAssertEqual(try server.command(["PUBSUB", "NUMSUB", "orders"]), .array([.string(Array("orders".utf8)), .integer(1)]))

        subscriber.close()
        publisher.close()
        assertLoopClosesCleanly(loop)
    }

    func testManySubscriptionsAreRestoredAfterTheServerDropsTheConnection() throws {
        let loop = try EventLoop()
        let (subscriber, inbox) = subscriber(loop, reconnectMaxMilliseconds: 100)
        let recorder = StateRecorder()
        subscriber.onStateChange = recorder.record
        subscriber.start()
        var confirmed = 0
        for index in 0..<1200 {
            subscriber.subscribe("channel.\(index)") { confirmed += 1 }
        }
        spin(loop) { confirmed == 1200 }
        XCTAssertEqual(try server.command(["CLIENT", "KILL", "TYPE", "pubsub"]), .integer(1))
        spin(loop) { recorder.connectCount == 2 && subscriber.acknowledgedSubscriptionCount == 1200 }
        XCTAssertEqual(try server.command(["PUBSUB", "NUMSUB", "channel.1199"]).array?.last, .integer(1))
        XCTAssertEqual(try server.command(["PUBLISH", "channel.600", "p"]), .integer(1))
        spin(loop) { inbox.messages.count == 1 }
        XCTAssertEqual(confirmed, 1200)
        subscriber.close()
        assertLoopClosesCleanly(loop)
    }

    func testCloseDropsPendingConfirmationsAndMessages() throws {
        let loop = try EventLoop()
        let (subscriber, inbox) = subscriber(loop)
        var confirmed = 0
        subscriber.subscribe("x") { confirmed += 1 }
        subscriber.start()
        subscriber.close()
        XCTAssertEqual(subscriber.state, .closed)
        subscriber.subscribe("y") { confirmed += 1 }
        idle(loop, milliseconds: 50)
        XCTAssertEqual(confirmed, 0)
        XCTAssertEqual(inbox.messages, [])
        assertLoopClosesCleanly(loop)
    }
}
