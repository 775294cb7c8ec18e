import SockJSWire
import XCTest

/// The session state machine (Protocol, XhrStreaming, HandlingClose, heartbeats, limits).
final class SockJSSessionTests: XCTestCase {
    private func text(_ outputs: [SockJSSession.Output]) -> [String] {
        outputs.map { output in
            switch output {
            case .write(let id, let bytes): return "\(id):" + String(decoding: bytes, as: UTF8.self)
            case .end(let id): return "end \(id)"
            case .closed(let code, let reason): return "closed \(code) \(reason)"
            case .expired: return "expired"
            }
        }
    }

    func testFirstPollOpensSecondWaitsForMessages() {
        var session = SockJSSession(now: 0)
        XCTAssertEqual(text(session.attach(1, kind: .xhrPolling, now: 0)), ["1:o\n", "end 1"])
        XCTAssertEqual(session.state, .open)
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 10)), [])
        XCTAssertEqual(text(session.send(["a"], now: 20)), ["2:a[\"a\"]\n", "end 2"])
    }

    func testMessagesWaitingForAPollAreSentTogetherAndCounted() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        XCTAssertEqual(session.send(["x"], now: 1), [])
        XCTAssertEqual(session.send(["yz"], now: 2), [])
        XCTAssertEqual(session.bufferedBytes, 3)
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 3)), ["2:a[\"x\",\"yz\"]\n", "end 2"])
        XCTAssertEqual(session.bufferedBytes, 0)
    }

    func testASecondReceiverGetsAnotherConnectionStillOpen() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        _ = session.attach(2, kind: .xhrPolling, now: 1)
        XCTAssertEqual(text(session.attach(3, kind: .xhrPolling, now: 2)),
                       ["3:c[2010,\"Another connection still open\"]\n", "end 3"])
        XCTAssertTrue(session.hasReceiver)
        // The first receiver still gets the messages.
        XCTAssertEqual(text(session.send(["a"], now: 3)), ["2:a[\"a\"]\n", "end 2"])
    }

    func testStreamingSendsPreludeOpenAndStaysOpen() {
        var session = SockJSSession(now: 0)
        XCTAssertEqual(text(session.attach(1, kind: .xhrStreaming, now: 0)),
                       ["1:" + String(repeating: "h", count: 2048) + "\n", "1:o\n"])
        XCTAssertEqual(text(session.send(["x"], now: 1)), ["1:a[\"x\"]\n"])
        XCTAssertEqual(text(session.send(["y"], now: 2)), ["1:a[\"y\"]\n"])
    }

    func testStreamingResponseEndsAtItsByteLimitAndTheNextOneContinues() {
        var session = SockJSSession(options: SockJSSessionOptions(streamingResponseLimitBytes: 4096), now: 0)
        _ = session.attach(1, kind: .xhrStreaming, now: 0)
        let message = String(repeating: "x", count: 128)
        var ended = false
        for index in 0..<31 {
            let out = text(session.send([message], now: UInt64(index + 1)))
            XCTAssertEqual(out.first, "1:a[\"\(message)\"]\n")
            if out.last == "end 1" { ended = true; break }
        }
        XCTAssertTrue(ended, "the response ended after 4096 bytes")
        XCTAssertEqual(session.state, .open)
        XCTAssertEqual(text(session.send(["later"], now: 100)), [])
        XCTAssertEqual(text(session.attach(2, kind: .xhrStreaming, now: 101)).last, "2:a[\"later\"]\n")
    }

    func testHeartbeatAfterTheIntervalWithoutOtherFrames() {
        var session = SockJSSession(options: SockJSSessionOptions(heartbeatMilliseconds: 25_000), now: 0)
        _ = session.attach(1, kind: .eventSource, now: 0)
        XCTAssertEqual(text(session.tick(now: 24_999)), [])
        XCTAssertEqual(text(session.tick(now: 25_000)), ["1:data: h\r\n\r\n"])
        XCTAssertEqual(text(session.tick(now: 30_000)), [])
        // A polling receiver is answered with the heartbeat and ends.
        var polling = SockJSSession(options: SockJSSessionOptions(heartbeatMilliseconds: 25_000), now: 0)
        _ = polling.attach(1, kind: .xhrPolling, now: 0)
        _ = polling.attach(2, kind: .xhrPolling, now: 10)
        XCTAssertEqual(text(polling.tick(now: 25_010)), ["2:h\n", "end 2"])
    }

    func testServerCloseGoesToTheReceiverAndToEveryLaterRequest() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .xhrStreaming, now: 0)
        XCTAssertEqual(text(session.close(now: 1)), ["closed 3000 Go away!", "1:c[3000,\"Go away!\"]\n", "end 1"])
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 2)), ["2:c[3000,\"Go away!\"]\n", "end 2"])
        XCTAssertEqual(text(session.attach(3, kind: .jsonpPolling(callback: "x"), now: 3)),
                       ["3:/**/x(\"c[3000,\\\"Go away!\\\"]\");\r\n", "end 3"])
        XCTAssertEqual(session.send(["ignored"], now: 4), [])
    }

    func testAbortedReceiverInterruptsTheSession() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .xhrStreaming, now: 0)
        XCTAssertEqual(text(session.detach(1, now: 5)), ["closed 1002 Connection interrupted"])
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 6)), ["2:c[1002,\"Connection interrupted\"]\n", "end 2"])
        // Detaching a receiver the session already ended changes nothing.
        var polled = SockJSSession(now: 0)
        _ = polled.attach(1, kind: .xhrPolling, now: 0)
        XCTAssertEqual(polled.detach(1, now: 1), [])
        XCTAssertEqual(polled.state, .open)
    }

    func testSessionExpiresAfterTheDisconnectDelayWithoutReceiver() {
        var session = SockJSSession(options: SockJSSessionOptions(disconnectDelayMilliseconds: 5_000), now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        _ = session.send(["pending"], now: 100)
        XCTAssertEqual(text(session.tick(now: 4_999)), [])
        XCTAssertEqual(text(session.tick(now: 5_000)), ["closed 3009 Session timed out", "expired"])
        XCTAssertEqual(session.bufferedBytes, 0)
        // With a waiting poll it lives on.
        var waiting = SockJSSession(options: SockJSSessionOptions(heartbeatMilliseconds: 100_000, disconnectDelayMilliseconds: 5_000), now: 0)
        _ = waiting.attach(1, kind: .xhrPolling, now: 0)
        _ = waiting.attach(2, kind: .xhrPolling, now: 1)
        XCTAssertEqual(waiting.tick(now: 50_000), [])
    }

    func testClosedSessionIsForgottenAfterTheDelayToo() {
        var session = SockJSSession(options: SockJSSessionOptions(disconnectDelayMilliseconds: 1_000), now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        _ = session.close(now: 10)
        XCTAssertEqual(text(session.tick(now: 1_000)), ["expired"])
    }

    func testBufferedOutputOverTheLimitClosesTheSessionAsASlowConsumer() {
        var session = SockJSSession(options: SockJSSessionOptions(maxBufferedBytes: 10), now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        XCTAssertEqual(session.send(["12345"], now: 1), [])
        XCTAssertEqual(text(session.send(["123456"], now: 2)), ["closed 3008 Slow consumer: output buffer limit reached"])
        XCTAssertEqual(session.bufferedBytes, 0)
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 3)),
                       ["2:c[3008,\"Slow consumer: output buffer limit reached\"]\n", "end 2"])
    }

    func testWebSocketReceiverGetsBareFrames() {
        var session = SockJSSession(now: 0)
        XCTAssertEqual(text(session.attach(7, kind: .websocket, now: 0)), ["7:o"])
        XCTAssertEqual(text(session.send(["a"], now: 1)), ["7:a[\"a\"]"])
    }

    func testFinishDeliversPendingMessagesToTheNextPollBeforeTheCloseFrame() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .xhrPolling, now: 0)
        XCTAssertEqual(session.send(["ERROR"], now: 1), [])
        XCTAssertEqual(session.finish(now: 2), [])
        XCTAssertEqual(text(session.attach(2, kind: .xhrPolling, now: 3)), ["2:a[\"ERROR\"]\n", "end 2"])
        XCTAssertEqual(text(session.attach(3, kind: .xhrPolling, now: 4)), ["closed 3000 Go away!", "3:c[3000,\"Go away!\"]\n", "end 3"])
    }

    func testFinishOnAStreamingReceiverSendsMessagesThenCloses() {
        var session = SockJSSession(now: 0)
        _ = session.attach(1, kind: .websocket, now: 0)
        XCTAssertEqual(text(session.send(["bye"], now: 1)), ["1:a[\"bye\"]"])
        XCTAssertEqual(text(session.finish(now: 2)), ["closed 3000 Go away!", "1:c[3000,\"Go away!\"]", "end 1"])
        XCTAssertEqual(session.state, .closed(code: 3000, reason: "Go away!"))
    }
}
