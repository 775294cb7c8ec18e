import STOMPClientSession
import STOMPWire
import XCTest

/// The client state machine without sockets: frames (and single bytes) in, actions out, time
/// passed in by the test.
final class ClientSessionTests: XCTestCase {
    private func frames(_ actions: [ClientAction]) -> [STOMPFrame] {
        actions.compactMap { action -> STOMPFrame? in
            guard case .write(let bytes) = action, bytes != [0x0A] else { return nil }
            var decoder = STOMPDecoder()
            decoder.feed(bytes)
            guard case .frame(let frame)? = try? decoder.next() else { return nil }
            return frame
        }
    }

    private func bytes(_ frame: STOMPFrame) -> [UInt8] { STOMPEncoder.encode(frame, version: .v1_2) }

    private func connectedSession(_ configuration: ClientSessionConfiguration = ClientSessionConfiguration(), heartBeat: String = "0,0", now: UInt64 = 0) -> ClientSession {
        var session = ClientSession(configuration: configuration)
        _ = session.start(now: now)
        _ = session.transportOpened(now: now)
        _ = session.received(bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.2"), ("heart-beat", heartBeat)])), now: now)
        return session
    }

    func testConnectCarriesVersionsHostHeartBeatCredentialsAndToken() {
        var session = ClientSession(configuration: ClientSessionConfiguration(host: "vh", login: "alice", passcode: "pw", token: "t0k"))
        XCTAssertEqual(session.start(now: 0), [.stateChanged(.connecting(attempt: 1)), .openTransport])
        let connect = try! XCTUnwrap(frames(session.transportOpened(now: 0)).first)
        XCTAssertEqual(connect.command, .CONNECT)
        XCTAssertEqual(connect["accept-version"], "1.2,1.1")
        XCTAssertEqual(connect["host"], "vh")
        XCTAssertEqual(connect["heart-beat"], "10000,10000")
        XCTAssertEqual(connect["login"], "alice")
        XCTAssertEqual(connect["passcode"], "pw")
        XCTAssertEqual(connect["token"], "t0k")
    }

    func testConnectedFedByteByByteConnectsAndNegotiatesHeartBeats() {
        var session = ClientSession(configuration: ClientSessionConfiguration(heartBeat: HeartBeat(canSend: 1_000, wantsReceive: 2_000)))
        _ = session.start(now: 0)
        _ = session.transportOpened(now: 0)
        var actions: [ClientAction] = []
        for byte in bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.2"), ("heart-beat", "3000,500"), ("server", "stampede/0.3.0")])) {
            actions += session.received([byte], now: 0)
        }
        XCTAssertEqual(actions, [.stateChanged(.connected(version: .v1_2, server: "stampede/0.3.0"))])
        XCTAssertEqual(session.outgoingHeartBeat, 1_000, "max(our 1000, server wants 500)")
        XCTAssertEqual(session.incomingHeartBeat, 3_000, "max(server 3000, we want 2000)")
    }

    func testVersion11FallbackAcksWithSubscriptionAndMessageID() throws {
        var session = ClientSession(configuration: ClientSessionConfiguration())
        _ = session.start(now: 0)
        _ = session.transportOpened(now: 0)
        _ = session.received(bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.1")])), now: 0)
        XCTAssertEqual(session.state, .connected(version: .v1_1, server: nil))
        let message = STOMPFrame(.MESSAGE, headers: [("subscription", "s"), ("message-id", "m1"), ("destination", "/queue/a")])
        let ack = try XCTUnwrap(frames(try session.acknowledge(message, epoch: 1, positive: true, now: 0)).first)
        XCTAssertEqual(ack.command, .ACK)
        XCTAssertEqual(ack["subscription"], "s")
        XCTAssertEqual(ack["message-id"], "m1")
    }

    func testVersion12AcksAndNacksByTheAckHeaderInsideATransaction() throws {
        var session = connectedSession()
        let message = STOMPFrame(.MESSAGE, headers: [("subscription", "s"), ("message-id", "m1"), ("ack", "a-7")])
        _ = try session.begin(transaction: "t1", now: 0)
        let nack = try XCTUnwrap(frames(try session.acknowledge(message, epoch: 1, positive: false, transaction: "t1", now: 0)).first)
        XCTAssertEqual(nack.command, .NACK)
        XCTAssertEqual(nack["id"], "a-7")
        XCTAssertEqual(nack["transaction"], "t1")
        let commit = try XCTUnwrap(frames(try session.end(transaction: "t1", commit: true, receipt: "r", now: 0)).first)
        XCTAssertEqual(commit.command, .COMMIT)
        XCTAssertEqual(commit["receipt"], "r")
        XCTAssertThrowsError(try session.end(transaction: "t1", commit: false, now: 0)) {
            XCTAssertEqual($0 as? ClientSessionError, .unknownTransaction("t1"))
        }
    }

    func testAnAckForAMessageOfAnEarlierConnectionFailsInsteadOfUpsettingTheServer() {
        var session = connectedSession()
        _ = session.transportClosed(now: 0, error: "reset")
        _ = session.reconnectDelayElapsed(now: 100)
        _ = session.transportOpened(now: 100)
        _ = session.received(bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.2")])), now: 100)
        XCTAssertEqual(session.connectionEpoch, 2)
        XCTAssertThrowsError(try session.acknowledge(STOMPFrame(.MESSAGE, headers: [("ack", "a")]), epoch: 1, positive: true, now: 100))
    }

    func testMessagesOfLiveSubscriptionsAreDeliveredAndOthersDropped() throws {
        var session = connectedSession()
        let subscribe = try XCTUnwrap(frames(try session.subscribe(ClientSubscription(id: "s1", destination: "/topic/a", ack: .client), receipt: "r1", now: 0)).first)
        XCTAssertEqual(subscribe.command, .SUBSCRIBE)
        XCTAssertEqual(subscribe["ack"], "client")
        XCTAssertEqual(subscribe["receipt"], "r1")
        XCTAssertEqual(session.received(bytes(STOMPFrame(.RECEIPT, headers: [("receipt-id", "r1")])), now: 0), [.receipt("r1")])
        let message = STOMPFrame(.MESSAGE, headers: [("subscription", "s1"), ("message-id", "1"), ("destination", "/topic/a")], body: Array("hi".utf8))
        var actions: [ClientAction] = []
        for byte in bytes(message) { actions += session.received([byte], now: 0) }
        XCTAssertEqual(actions.count, 1)
        guard case .deliver("s1", let delivered)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(delivered.body, Array("hi".utf8))
        XCTAssertEqual(session.received(bytes(STOMPFrame(.MESSAGE, headers: [("subscription", "gone")])), now: 0), [])
    }

    func testHeartBeatsAreSentWhenIdleAndASilentServerIsDead() {
        var session = ClientSession(configuration: ClientSessionConfiguration(heartBeat: HeartBeat(canSend: 1_000, wantsReceive: 1_000)))
        _ = session.start(now: 0)
        _ = session.transportOpened(now: 0)
        _ = session.received(bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.2"), ("heart-beat", "1000,1000")])), now: 0)
        XCTAssertEqual(session.tick(now: 999), [])
        XCTAssertEqual(session.tick(now: 1_000), [.write([0x0A])])
        XCTAssertEqual(session.tick(now: 1_500), [])
        _ = session.received([0x0A], now: 1_600)
        XCTAssertEqual(session.tick(now: 3_600), [.write([0x0A])], "2 s of silence is within 2 × 1 s")
        XCTAssertEqual(session.tick(now: 3_601), [.closeTransport], "more than 2 × 1 s of silence")
        let after = session.transportClosed(now: 3_602, random: 0.5)
        XCTAssertEqual(after.first, .stateChanged(.waitingToReconnect(attempt: 2, delayMilliseconds: 100, reason: .heartBeatTimeout)))
    }

    func testAConnectThatNeverGetsConnectedTimesOut() {
        var session = ClientSession(configuration: ClientSessionConfiguration(retryFirstConnect: true))
        session.connectTimeoutMilliseconds = 500
        _ = session.start(now: 0)
        _ = session.transportOpened(now: 0)
        XCTAssertEqual(session.tick(now: 500), [])
        XCTAssertEqual(session.tick(now: 501), [.closeTransport])
        XCTAssertEqual(session.transportClosed(now: 502, random: 0).first, .stateChanged(.waitingToReconnect(attempt: 2, delayMilliseconds: 80, reason: .timeout)))
    }

    func testBackoffGrowsExponentiallyWithJitterUpToTheCap() {
        let policy = ReconnectPolicy(initialDelayMilliseconds: 100, multiplier: 2, maxDelayMilliseconds: 1_000, jitter: 0.2)
        XCTAssertEqual((1...6).map { policy.delay(attempt: $0, random: 0.5) }, [100, 200, 400, 800, 1_000, 1_000])
        XCTAssertEqual(policy.delay(attempt: 1, random: 0), 80)
        XCTAssertEqual(policy.delay(attempt: 1, random: 0.999_999), 120)
        XCTAssertEqual(policy.delay(attempt: 5, random: 0.999_999), 1_000, "jitter never exceeds the cap")
        XCTAssertEqual(policy.delay(attempt: 60, random: 0.5), 1_000)
    }

    func testReconnectWithAFakeClockResubscribesAndFlushesQueuedSendsInOrder() throws {
        var session = connectedSession(ClientSessionConfiguration(reconnect: ReconnectPolicy(initialDelayMilliseconds: 100, jitter: 0)))
        _ = try session.subscribe(ClientSubscription(id: "a", destination: "/topic/a", ack: .auto), receipt: nil, now: 0)
        _ = try session.subscribe(ClientSubscription(id: "b", destination: "/queue/b", ack: .client), receipt: nil, now: 0)
        _ = try session.begin(transaction: "t", now: 0)

        var actions = session.transportClosed(now: 10, error: "connection reset")
        XCTAssertEqual(actions, [
            .stateChanged(.waitingToReconnect(attempt: 2, delayMilliseconds: 100, reason: .transport("connection reset"))),
            .scheduleReconnect(afterMilliseconds: 100),
        ])
        XCTAssertTrue(session.openTransactions.isEmpty, "the server aborted them with the connection")
        XCTAssertEqual(try session.send(OutgoingSend(destination: "/queue/x", body: [1]), now: 20), [])
        XCTAssertEqual(try session.send(OutgoingSend(destination: "/queue/x", body: [2], receipt: "r2"), now: 20), [])
        XCTAssertThrowsError(try session.send(OutgoingSend(destination: "/queue/x", headers: [STOMPHeader(name: "transaction", value: "t")]), now: 20))

        // Attempt 2 fails: the delay doubles.
        XCTAssertEqual(session.reconnectDelayElapsed(now: 110), [.stateChanged(.connecting(attempt: 2)), .openTransport])
        XCTAssertEqual(session.transportClosed(now: 120, error: "refused").last, .scheduleReconnect(afterMilliseconds: 200))
        _ = session.reconnectDelayElapsed(now: 320)
        _ = session.transportOpened(now: 320)
        actions = session.received(bytes(STOMPFrame(.CONNECTED, headers: [("version", "1.2")])), now: 330)
        XCTAssertEqual(actions.first, .stateChanged(.connected(version: .v1_2, server: nil)))
        let written = frames(actions)
        XCTAssertEqual(written.map(\.command), [.SUBSCRIBE, .SUBSCRIBE, .SEND, .SEND])
        XCTAssertEqual(written[0]["destination"], "/topic/a")
        XCTAssertEqual(written[1]["destination"], "/queue/b")
        XCTAssertEqual(written[1]["ack"], "client")
        XCTAssertEqual(written[2].body, [1])
        XCTAssertEqual(written[3]["receipt"], "r2")
        XCTAssertTrue(session.queuedSends.isEmpty)
        // Backoff starts over after a success.
        XCTAssertEqual(session.transportClosed(now: 400, error: "x").last, .scheduleReconnect(afterMilliseconds: 100))
    }

    func testSendsPastTheQueueBoundFailWithAClearError() throws {
        var session = ClientSession(configuration: ClientSessionConfiguration(maxQueuedSends: 2))
        _ = session.start(now: 0)
        _ = try session.send(OutgoingSend(destination: "/topic/a"), now: 0)
        _ = try session.send(OutgoingSend(destination: "/topic/a"), now: 0)
        XCTAssertThrowsError(try session.send(OutgoingSend(destination: "/topic/a"), now: 0)) { error in
            XCTAssertEqual(error as? ClientSessionError, .sendQueueFull(limit: 2))
            XCTAssertTrue("\(error)".contains("2 sends already wait"))
        }
    }

    func testReceiptsInFlightFailWhenTheConnectionIsLost() throws {
        var session = connectedSession()
        _ = try session.send(OutgoingSend(destination: "/topic/a", receipt: "r9"), now: 0)
        let actions = session.transportClosed(now: 1, error: "reset")
        XCTAssertEqual(actions.first, .receiptsFailed(["r9"], .connectionLost("cannot connect: reset")))
    }

    func testAServerErrorNamesItsMessageAndDropsARefusedSubscription() throws {
        var session = connectedSession()
        _ = try session.subscribe(ClientSubscription(id: "s", destination: "/user/bob/queue/x", ack: .auto), receipt: "r1", now: 0)
        let actions = session.received(bytes(STOMPFrame(.ERROR, headers: [("message", "forbidden destination"), ("receipt-id", "r1")])), now: 0)
        guard case .serverError(let error)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(error.message, "forbidden destination")
        XCTAssertEqual(error.receiptID, "r1")
        XCTAssertEqual(actions.last, .closeTransport)
        XCTAssertTrue(session.subscriptions.isEmpty, "not resubscribed after the reconnect")
        XCTAssertEqual(session.transportClosed(now: 1).first, .stateChanged(.waitingToReconnect(attempt: 2, delayMilliseconds: 100, reason: .server(error))))
    }

    func testAnErrorAnsweringConnectIsFinalNotRetried() {
        var session = ClientSession(configuration: ClientSessionConfiguration(login: "alice", passcode: "wrong", retryFirstConnect: true))
        _ = session.start(now: 0)
        _ = session.transportOpened(now: 0)
        _ = session.received(bytes(STOMPFrame(.ERROR, headers: [("message", "bad credentials")])), now: 0)
        let actions = session.transportClosed(now: 1)
        guard case .stateChanged(.closed(.server(let error)?))? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(error.message, "bad credentials")
    }

    func testTheFirstConnectFailingIsFinalUnlessRetriesAreAsked() {
        var session = ClientSession(configuration: ClientSessionConfiguration())
        _ = session.start(now: 0)
        XCTAssertEqual(session.transportClosed(now: 1, error: "refused"), [.stateChanged(.closed(.transport("refused")))])
    }

    func testGivingUpAfterMaxAttemptsClosesAndFailsQueuedReceipts() throws {
        var session = connectedSession(ClientSessionConfiguration(reconnect: ReconnectPolicy(maxAttempts: 1)))
        _ = session.transportClosed(now: 0, error: "a")
        _ = try session.send(OutgoingSend(destination: "/topic/a", receipt: "q"), now: 0)
        _ = session.reconnectDelayElapsed(now: 100)
        XCTAssertEqual(session.transportClosed(now: 101, error: "b"), [
            .receiptsFailed(["q"], .transport("b")), .stateChanged(.closed(.transport("b"))),
        ])
        XCTAssertThrowsError(try session.send(OutgoingSend(destination: "/topic/a"), now: 200)) { XCTAssertEqual($0 as? ClientSessionError, .closed) }
    }

    func testDisconnectWaitsForItsReceiptThenCloses() {
        var session = connectedSession()
        let actions = session.disconnect(now: 0)
        XCTAssertEqual(frames(actions).map(\.command), [.DISCONNECT])
        XCTAssertEqual(session.state, .disconnecting)
        let receipt = STOMPFrame(.RECEIPT, headers: [("receipt-id", frames(actions)[0]["receipt"]!)])
        XCTAssertEqual(session.received(bytes(receipt), now: 1), [.closeTransport])
        XCTAssertEqual(session.transportClosed(now: 2), [.stateChanged(.closed(nil))])
    }

    func testGarbageFromTheServerClosesTheConnectionAsAProtocolViolation() {
        var session = connectedSession(ClientSessionConfiguration(reconnect: ReconnectPolicy(jitter: 0)))
        XCTAssertEqual(session.received(Array("BOGUS\n\n\u{0}".utf8), now: 0), [.closeTransport])
        guard case .stateChanged(.waitingToReconnect(_, _, .protocolViolation))? = session.transportClosed(now: 1).first else {
            return XCTFail("expected a protocol violation")
        }
    }
}
