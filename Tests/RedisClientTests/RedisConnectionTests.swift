import Glibc
import RedisClient
import TestSupport
import UVLoop
import XCTest

final class RedisConnectionTests: XCTestCase {
    private var server: RedisServerProcess!

    override func setUpWithError() throws {
        ignoreSIGPIPE()  // hiredis writes with write(2); a node does the same at startup
        server = try RedisServerProcess.started()
    }

    override func tearDown() {
        server.stop()
        server = nil
    }

    /// A started connection that reached `.connected`.
    private func connected(_ loop: EventLoop, name: String = "test", file: StaticString = #filePath, line: UInt = #line) -> RedisConnection {
        let connection = RedisConnection(loop: loop, endpoint: server.endpoint, name: name)
        connection.start()
        spin(loop, "connecting", file: file, line: line) { connection.state == .connected }
        return connection
    }

    func testBinaryValueWithNulBytesRoundTrips() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        let key: [UInt8] = [0x6B, 0x00, 0xFF, 0x0D, 0x0A]
        let value: [UInt8] = Array(0...255) + [0, 0, 13, 10]
        var replies: [RedisReply] = []
        connection.send([Array("SET".utf8), key, value]) { replies.append($0) }
        connection.send([Array("GET".utf8), key]) { replies.append($0) }
        connection.send([Array("SET".utf8), Array("empty".utf8), []]) { replies.append($0) }
        connection.send(["GET", "empty"]) { replies.append($0) }
        spin(loop) { replies.count == 4 }
        XCTAssertEqual(replies, [.status("OK"), .string(value), .status("OK"), .string([])])
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testRepliesOfEveryType() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        XCTAssertEqual(connection.sendAndWait(loop, ["PING"]), .status("PONG"))
        XCTAssertEqual(connection.sendAndWait(loop, ["INCRBY", "counter", "-7"]), .integer(-7))
        XCTAssertEqual(connection.sendAndWait(loop, ["GET", "missing"]), .null)
        XCTAssertEqual(connection.sendAndWait(loop, ["RPUSH", "list", "a", "b"]), .integer(2))
        XCTAssertEqual(connection.sendAndWait(loop, ["LRANGE", "list", "0", "-1"]), .array([.string([97]), .string([98])]))
        XCTAssertEqual(connection.sendAndWait(loop, ["LRANGE", "nothing", "0", "-1"]), .array([]))
        XCTAssertEqual(connection.sendAndWait(loop, ["MGET", "missing", "counter"]), .array([.null, .string(Array("-7".utf8))]))
        XCTAssertEqual(
            connection.sendAndWait(loop, ["EVAL", "return {1, {2, 'x'}, redis.status_reply('FINE')}", "0"]),
            .array([.integer(1), .array([.integer(2), .string([120])]), .status("FINE")])
        )
        let wrongType = connection.sendAndWait(loop, ["GET", "list"])
        XCTAssertTrue(wrongType?.errorMessage?.hasPrefix("WRONGTYPE") ?? false, "\(String(describing: wrongType))")
        let unknown = connection.sendAndWait(loop, ["NOSUCHCOMMAND"])
        XCTAssertTrue(unknown?.errorMessage?.hasPrefix("ERR") ?? false)
        XCTAssertEqual(connection.commandsFailed, 2)
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testPipelinedCommandsCompleteInOrder() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        var results: [Int64] = []
        for _ in 0..<2000 {
            connection.send(["INCR", "sequence"]) { results.append($0.integer ?? -1) }
        }
        spin(loop) { results.count == 2000 }
        XCTAssertEqual(results, Array(1...2000))
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testConnectionNamesItselfWithSanitizedName() throws {
        let loop = try EventLoop()
        let connection = connected(loop, name: "node a\nb")
        XCTAssertEqual(connection.sendAndWait(loop, ["CLIENT", "GETNAME"]), .string(Array("node-a-b".utf8)))
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testSendBeforeStartFailsOnLaterTurnExactlyOnce() throws {
        let loop = try EventLoop()
        let connection = RedisConnection(loop: loop, endpoint: server.endpoint, name: "test")
        var replies: [RedisReply] = []
        connection.send(["PING"]) { replies.append($0) }
        connection.send(["PING"])
        XCTAssertEqual(replies, [], "never from inside send")
        spin(loop) { !replies.isEmpty }
        idle(loop, milliseconds: 20)
        XCTAssertEqual(replies.count, 1)
        XCTAssertTrue(replies[0].errorMessage?.hasPrefix("not connected") ?? false, "\(replies)")
        XCTAssertEqual(connection.commandsFailed, 2)
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testSubscribeCommandsAreRefusedOnCommandConnection() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        var reply: RedisReply?
        var monitor: RedisReply?
        connection.send(["SubScribe", "x"]) { reply = $0 }
        connection.send(["MONITOR"]) { monitor = $0 }
        spin(loop) { reply != nil && monitor != nil }
        XCTAssertEqual(reply, .error("SUBSCRIBE is not supported on a command connection: use RedisSubscriber"))
        XCTAssertTrue(monitor?.errorMessage?.hasPrefix("MONITOR") ?? false)
        XCTAssertEqual(connection.sendAndWait(loop, ["PING"]), .status("PONG"), "still usable")
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testCloseWithCommandsInFlightCompletesEachExactlyOnceWithError() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        var calls = [Int](repeating: 0, count: 50)
        var replies: [RedisReply?] = Array(repeating: nil, count: 50)
        // The BLPOP holds every later reply back, so all 50 are in flight when close() runs.
        connection.send(["BLPOP", "never", "5"]) { calls[0] += 1; replies[0] = $0 }
        for index in 1..<50 {
            connection.send(["PING"]) { calls[index] += 1; replies[index] = $0 }
        }
        idle(loop, milliseconds: 30)
        connection.close()
        XCTAssertEqual(connection.state, .closed)
        XCTAssertEqual(calls.reduce(0, +), 0, "never from inside close()")
        spin(loop) { calls.allSatisfy { $0 == 1 } }
        idle(loop, milliseconds: 20)
        XCTAssertEqual(calls, Array(repeating: 1, count: 50))
        XCTAssertTrue(replies.allSatisfy { $0 == .error("connection closed") }, "\(replies)")
        XCTAssertEqual(connection.commandsFailed, 50)
        connection.send(["PING"]) { _ in calls[0] += 1 }
        spin(loop) { calls[0] == 2 }
        assertLoopClosesCleanly(loop)
    }

    func testCloseFromReplyCallbackFailsTheRestExactlyOnce() throws {
        let loop = try EventLoop()
        let connection = connected(loop)
        var replies: [Int: [RedisReply]] = [:]
        for index in 0..<20 {
            connection.send(["PING"]) { reply in
                replies[index, default: []].append(reply)
                if index == 0 { connection.close() }
            }
        }
        spin(loop) { replies.count == 20 }
        idle(loop, milliseconds: 20)
        XCTAssertEqual(replies[0], [.status("PONG")])
        for index in 1..<20 {
            XCTAssertEqual(replies[index], [.error("connection closed")], "command \(index)")
        }
        assertLoopClosesCleanly(loop)
    }

    func testCloseFromConnectedStateChangeIsSafe() throws {
        let loop = try EventLoop()
        let connection = RedisConnection(loop: loop, endpoint: server.endpoint, name: "test")
        let recorder = StateRecorder()
        var reply: RedisReply?
        connection.onStateChange = { state in
            recorder.record(state)
            if state == .connected {
                connection.send(["PING"]) { reply = $0 }
                connection.close()
            }
        }
        connection.start()
        spin(loop) { reply != nil }
        XCTAssertEqual(recorder.states, [.connecting, .connected, .closed])
        XCTAssertEqual(reply, .error("connection closed"))
        assertLoopClosesCleanly(loop)
    }

    func testRefusedConnectReportsErrorPromptlyThenConnectsWhenServerStarts() throws {
        let loop = try EventLoop()
        let port = server.port
        server.stop()
        // A long connect timeout: only a reported connect failure can explain a quick retry.
        let connection = RedisConnection(
            loop: loop, endpoint: RedisEndpoint(host: "127.0.0.1", port: port)!, name: "test",
            connectTimeoutMilliseconds: 10_000, reconnectMaxMilliseconds: 100
        )
        let recorder = StateRecorder()
        connection.onStateChange = recorder.record
        connection.start()
        spin(loop, timeoutMilliseconds: 2_000) { recorder.attemptCount >= 3 }
        XCTAssertTrue(recorder.disconnections.allSatisfy { $0.lowercased().contains("refused") }, "\(recorder.disconnections)")
        var reply: RedisReply?
        connection.send(["PING"]) { reply = $0 }
        spin(loop) { reply != nil }
        XCTAssertTrue(reply?.errorMessage?.hasPrefix("not connected") ?? false)

        try server.start(port: port)
        spin(loop) { connection.state == .connected }
        XCTAssertEqual(connection.sendAndWait(loop, ["PING"]), .status("PONG"))
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testKilledClientConnectionReconnectsAndFailsItsInFlightCommand() throws {
        let loop = try EventLoop()
        let connection = RedisConnection(loop: loop, endpoint: server.endpoint, name: "victim", reconnectMaxMilliseconds: 100)
        let recorder = StateRecorder()
        connection.onStateChange = recorder.record
        connection.start()
        spin(loop) { connection.state == .connected }
        var blocked: RedisReply?
        connection.send(["BLPOP", "never", "5"]) { blocked = $0 }
        idle(loop, milliseconds: 20)
        XCTAssertEqual(try server.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]).integer.map { $0 >= 1 }, true)
        spin(loop) { blocked != nil && recorder.connectCount == 2 }
        XCTAssertTrue(blocked?.errorMessage?.hasPrefix("connection lost") ?? false, "\(String(describing: blocked))")
        XCTAssertEqual(recorder.states.prefix(3), [.connecting, .connected, .disconnected(reason: recorder.disconnections.first ?? "")])
        XCTAssertEqual(connection.sendAndWait(loop, ["CLIENT", "GETNAME"]), .string(Array("victim".utf8)), "named again")
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testConnectTimeoutWhenServerNeverAnswers() throws {
        let loop = try EventLoop()
        // A listener with a full accept queue drops SYNs: connects hang until they time out.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(listener, pointer, length)
                return getsockname(listener, pointer, &length)
            }
        }
        XCTAssertEqual(listen(listener, 0), 0)
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            fillers.append(filler)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) }
            }
        }
        usleep(20_000)

        let port = Int(UInt16(bigEndian: address.sin_port))
        let connection = RedisConnection(
            loop: loop, endpoint: RedisEndpoint(host: "127.0.0.1", port: port)!, name: "test",
            connectTimeoutMilliseconds: 100, reconnectMaxMilliseconds: 50
        )
        let recorder = StateRecorder()
        connection.onStateChange = recorder.record
        connection.start()
        spin(loop, timeoutMilliseconds: 3_000) { recorder.disconnections.count >= 2 }
        XCTAssertEqual(recorder.disconnections.first, "connect timed out after 100 ms")
        connection.close()
        assertLoopClosesCleanly(loop)
    }

    func testDroppedConnectionWithoutCloseIsClosedByDeinit() throws {
        let loop = try EventLoop()
        do {
            let connection = connected(loop)
            XCTAssertEqual(connection.sendAndWait(loop, ["PING"]), .status("PONG"))
        }
        assertLoopClosesCleanly(loop)
    }
}
